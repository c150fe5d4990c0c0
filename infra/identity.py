"""Sign-in: each user pool's domain, web client and, where configured, its national identity provider.

- Staff: FK-Adgangsstyring over SAML. Its municipality, units and role attributes are mapped to the pool's
  `custom:municipality`, `custom:units` and `custom:roles`; a pre-token-generation trigger turns the role
  values into the token's `cognito:groups` (the platform's roles) at every sign-in (infra/token_claims).
- Citizens: a MitID broker over OIDC. Its CPR claim is mapped to `custom:cpr`; the trigger makes every
  federated user a member of the `citizen` group.
- Where no provider is configured (the test environment), testers are native Cognito users, created and put
  in groups by an administrator (docs/operations.md).

The web clients are public clients (PKCE, no secret) using the authorization-code flow. With an identity
provider they allow only that provider, no password flows, and never the `aws.cognito.signin.user.admin`
scope: Cognito requires that mapped attributes be writable by the client, and that scope is what would let a
user rewrite them (their municipality, units or roles) through the Cognito API.
"""

from __future__ import annotations

import json

from aws_cdk import CfnOutput, Duration, SecretValue, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cfn import default_child
from infra.config import EnvironmentConfig, OidcProvider, SamlProvider
from infra.functions import ObservedFunction
from infra.layer import ROOT
from infra.logs import LogGroups
from infra.operations import Operations
from kommunal_pro.auth import CLAIM_CPR, CLAIM_MUNICIPALITY, CLAIM_UNITS, Role

CLAIM_ROLES = "custom:roles"  # staff: the identity provider's role values, translated by the trigger
TRIGGER_DIR = ROOT / "infra" / "token_claims"


def custom_attribute(claim: str) -> str:
    return claim.removeprefix("custom:")


class Federation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        logs: LogGroups,
        operations: Operations,
        staff_pool: cognito.UserPool,
        citizen_pool: cognito.UserPool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config, self._logs, self._operations = config, logs, operations
        identity = config.identity
        staff_custom = [CLAIM_MUNICIPALITY, CLAIM_UNITS, CLAIM_ROLES]
        citizen_custom = [CLAIM_MUNICIPALITY, CLAIM_CPR]

        self.staff_domain = self._domain("StaffDomain", staff_pool, identity.staff.domain_prefix)
        self.citizen_domain = self._domain("CitizenDomain", citizen_pool, identity.citizens.domain_prefix)

        staff_provider = self._saml(staff_pool, identity.staff.saml) if identity.staff.saml else None
        citizen_provider = self._oidc(citizen_pool, identity.citizens.oidc) if identity.citizens.oidc else None

        self.staff_client = self._client(
            "StaffWebClient",
            staff_pool,
            staff_provider,
            custom_attributes=staff_custom,
            mapped=self._saml_mapped(identity.staff.saml),
            email=True,
            session=Duration.hours(12),
        )
        self.citizen_client = self._client(
            "CitizenWebClient",
            citizen_pool,
            citizen_provider,
            custom_attributes=citizen_custom,
            mapped=self._oidc_mapped(identity.citizens.oidc),
            email=False,
            session=Duration.hours(2),
        )
        if staff_provider and identity.staff.saml:
            role_map = {value: role.value for value, role in identity.staff.saml.roles.items()}
            self._trigger("StaffTokenClaims", staff_pool, label="staff-token-claims", ROLE_MAP=json.dumps(role_map))
        if citizen_provider:
            self._trigger(
                "CitizenTokenClaims", citizen_pool, label="citizen-token-claims", FIXED_GROUPS=Role.CITIZEN.value
            )
        self._outputs(staff_pool, citizen_pool)

    # --- identity providers --------------------------------------------------------------------------------

    @staticmethod
    def _saml_mapped(saml: SamlProvider | None) -> dict[str, str]:
        """User pool attribute -> the SAML attribute it is mapped from."""
        if saml is None:
            return {}
        names = saml.attributes
        mapped = {
            "email": names.email,
            "name": names.name,
            CLAIM_MUNICIPALITY: names.municipality,
            CLAIM_ROLES: names.roles,
            CLAIM_UNITS: names.units,
        }
        return {attribute: name for attribute, name in mapped.items() if name}

    @staticmethod
    def _oidc_mapped(oidc: OidcProvider | None) -> dict[str, str]:
        """User pool attribute -> the OIDC claim it is mapped from."""
        if oidc is None:
            return {}
        mapped = {"name": oidc.name_claim, CLAIM_CPR: oidc.cpr_claim}
        return {attribute: claim for attribute, claim in mapped.items() if claim}

    @staticmethod
    def _attribute_mapping(mapped: dict[str, str]) -> cognito.AttributeMapping:
        other = cognito.ProviderAttribute.other
        return cognito.AttributeMapping(
            email=other(mapped["email"]) if "email" in mapped else None,
            fullname=other(mapped["name"]) if "name" in mapped else None,
            # CDK writes custom keys as given, so they carry their `custom:` prefix (aws-cdk issue 26820).
            custom={attribute: other(name) for attribute, name in mapped.items() if attribute.startswith("custom:")},
        )

    def _saml(self, pool: cognito.UserPool, saml: SamlProvider) -> cognito.UserPoolIdentityProviderSaml:
        return cognito.UserPoolIdentityProviderSaml(
            self,
            "StaffSaml",
            user_pool=pool,
            name=saml.name,
            metadata=cognito.UserPoolIdentityProviderSamlMetadata.url(saml.metadata_url),
            # OIOSAML: signed authentication requests and encrypted assertions (certificates: docs/operations.md).
            request_signing_algorithm=cognito.SigningAlgorithm.RSA_SHA256,
            encrypted_responses=True,
            idp_signout=True,
            attribute_mapping=self._attribute_mapping(self._saml_mapped(saml)),
        )

    def _oidc(self, pool: cognito.UserPool, oidc: OidcProvider) -> cognito.UserPoolIdentityProviderOidc:
        return cognito.UserPoolIdentityProviderOidc(
            self,
            "CitizenOidc",
            user_pool=pool,
            name=oidc.name,
            issuer_url=oidc.issuer_url,
            client_id=oidc.client_id,
            # A dynamic reference, resolved by CloudFormation at deploy time: the secret is never in the template.
            client_secret=SecretValue.secrets_manager(oidc.client_secret_name).unsafe_unwrap(),
            scopes=oidc.scopes,
            attribute_request_method=cognito.OidcAttributeRequestMethod.GET,
            attribute_mapping=self._attribute_mapping(self._oidc_mapped(oidc)),
        )

    # --- domains, clients, the trigger ---------------------------------------------------------------------

    def _domain(self, construct_id: str, pool: cognito.UserPool, prefix: str) -> cognito.UserPoolDomain:
        return cognito.UserPoolDomain(
            self, construct_id, user_pool=pool, cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )

    def _client(
        self,
        construct_id: str,
        pool: cognito.UserPool,
        provider: cognito.IUserPoolIdentityProvider | None,
        *,
        custom_attributes: list[str],
        mapped: dict[str, str],
        email: bool,
        session: Duration,
    ) -> cognito.UserPoolClient:
        identity = self._config.identity
        scopes = [cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE]
        if email:
            scopes.append(cognito.OAuthScope.EMAIL)
        custom = [custom_attribute(claim) for claim in custom_attributes]
        readable = cognito.ClientAttributes().with_standard_attributes(fullname=True, email=email, email_verified=email)
        if provider:
            # Mapped attributes must be writable by the client for Cognito to update them at each sign-in;
            # nothing else is.
            writable = cognito.ClientAttributes().with_standard_attributes(
                fullname="name" in mapped, email="email" in mapped
            )
            writable = writable.with_custom_attributes(
                *(custom_attribute(attribute) for attribute in mapped if attribute.startswith("custom:"))
            )
            providers = [cognito.UserPoolClientIdentityProvider.custom(provider.provider_name)]
            flows = None
        else:
            # Native users may change their name; their municipality, units and CPR are set by an administrator.
            writable = cognito.ClientAttributes().with_standard_attributes(fullname=True)
            providers = [cognito.UserPoolClientIdentityProvider.COGNITO]
            flows = cognito.AuthFlow(user_srp=True)
        client = cognito.UserPoolClient(
            self,
            construct_id,
            user_pool=pool,
            generate_secret=False,
            auth_flows=flows,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=scopes,
                callback_urls=identity.callback_urls,
                logout_urls=identity.logout_urls,
            ),
            supported_identity_providers=providers,
            read_attributes=readable.with_custom_attributes(*custom),
            write_attributes=writable,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=session,
        )
        if provider:
            client.node.add_dependency(provider)
            # Refresh tokens only: no password or SRP sign-in, so no token carries the self-service admin scope.
            default_child(client, cognito.CfnUserPoolClient).explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]
        return client

    def _trigger(self, construct_id: str, pool: cognito.UserPool, *, label: str, **environment: str) -> None:
        trigger = ObservedFunction(
            self,
            construct_id,
            config=self._config,
            logs=self._logs,
            operations=self._operations,
            label=label,
            code=lambda_.Code.from_asset(str(TRIGGER_DIR), exclude=["__init__.py", "__pycache__", "*.pyc"]),
            handler="handler.lambda_handler",
            environment=environment,
            timeout_seconds=5,
            memory_size=256,
        )
        trigger.acknowledge_synchronous(
            "Invoked synchronously by Cognito while it issues a token; a failure fails that sign-in and is alarmed, "
            "and a dead-letter queue only receives failed asynchronous invocations."
        )
        pool.add_trigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION, trigger.function)

    # --- what the operations team registers at the identity providers --------------------------------------

    def _outputs(self, staff_pool: cognito.UserPool, citizen_pool: cognito.UserPool) -> None:
        staff_base = self.staff_domain.base_url()
        citizen_base = self.citizen_domain.base_url()
        outputs = {
            "StaffClientId": (self.staff_client.user_pool_client_id, "web client id of the staff user pool"),
            "CitizenClientId": (self.citizen_client.user_pool_client_id, "web client id of the citizen user pool"),
            "StaffSignInDomain": (staff_base, "the staff pool's sign-in (OAuth 2.0) domain"),
            "CitizenSignInDomain": (citizen_base, "the citizen pool's sign-in (OAuth 2.0) domain"),
        }
        if self._config.identity.staff.saml:
            outputs["StaffSamlEntityId"] = (
                f"urn:amazon:cognito:sp:{staff_pool.user_pool_id}",
                "the service provider entity id to register at FK-Adgangsstyring",
            )
            outputs["StaffSamlAcsUrl"] = (
                f"{staff_base}/saml2/idpresponse",
                "the assertion consumer service URL to register at FK-Adgangsstyring",
            )
        if self._config.identity.citizens.oidc:
            outputs["CitizenOidcRedirectUri"] = (
                f"{citizen_base}/oauth2/idpresponse",
                "the redirect URI to register at the MitID broker",
            )
        for output_id, (value, description) in outputs.items():
            CfnOutput(Stack.of(self), output_id, value=value, description=description)
