"""Applications: the citizen service catalogue, online applications and their handling, up to the
decision sent into e-Approval and the issued result delivered to the citizen's e-inbox.
"""
