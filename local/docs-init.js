// Swagger UI over /openapi.json: grouped by tag, the bearer token kept across reloads (Authorize).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  persistAuthorization: true,
  tryItOutEnabled: true,
  docExpansion: "none",
  tagsSorter: "alpha",
});
