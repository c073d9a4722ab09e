"""Wire shapes, in one home: the websocket protocol v1 (`protocol`), the REST bodies (`rest`,
`interviews`, `admin`) and the read views the services return (`views`). Pydantic models only."""
