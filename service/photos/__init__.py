"""Photos on cases: upload checks and stripping, content-addressed storage, serving."""
