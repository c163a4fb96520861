"""The application: the only door the API, the CLI and the workers use.

`bootstrap` wires the `eventsourcing.Application` subclass (`service`) and its
collaborators, each given what it needs (the save and retry functions, the read-side
queries, a store): `leads`, `loading`, `bulk` (with `batch`), `dialing`, `exports`,
`audit`, `read_models`. `views` builds the vendor wire format.
"""
