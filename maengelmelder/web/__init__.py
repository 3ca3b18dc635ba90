"""What every feature's HTTP layer shares: the API toolkit (`api`), request parsing, the
frontend's app shell. No feature logic lives here."""
