"""CodeRunner adapter: the bubblewrap sandbox and the harness that runs inside it."""
