"""Repositories: the only place that writes SQL. They return bot.domain.records values.

One module per aggregate; import a repository from its module (`from storage.repositories.plans import
PlanRepository`). The unit of work (storage/uow.py) builds one of each per transaction."""
