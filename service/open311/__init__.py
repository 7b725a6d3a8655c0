"""Open311 GeoReport v2: services, requests and updates for existing 311 clients."""
