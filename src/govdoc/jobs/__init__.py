"""Jobs: that background work gets done, once, whatever happens to the processes doing it.

Owns: the heartbeats of worker processes, lost and failed tasks taken again with back-off (and
given up, for an administrator to see, after a limit), and periodic jobs that run once per
interval across every worker of the installation. The tasks themselves are django-tasks rows
(``django_tasks_db``) written in the transaction of the change that needs them; this domain
only looks after them. Must not know any business domain: periodic jobs are handed to it as
tasks (``PeriodicSpec``) by the process that runs the worker.
"""
