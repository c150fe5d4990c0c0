"""The nightly organisation sync: SOR and FK-Organisation files into units and staff membership, and a
closed unit's open work handed to its successor."""
