"""e-Doc distribution: officials' own documents (letters, decisions, requests, notices), drafted,
approved on an e-Approval line, registered and sealed, then dispatched to other agencies and
units, where registry clerks register, assign, circulate or return them."""
