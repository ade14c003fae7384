"""CDR files of the switches small operators run, translated into
:class:`~api.services.records.CdrInput` for the CDR road's use cases (nothing else):

- :mod:`~api.importers.asterisk` — Asterisk ``cdr_csv`` ``Master.csv``;
- :mod:`~api.importers.freeswitch` — FreeSWITCH ``mod_json_cdr`` JSON files;
- :mod:`~api.importers.records` — what a read gives: the CDRs, where each came from,
  the lines refused with their reasons;
- :mod:`~api.importers.run` — screen the CDRs by the road's rules, ingest them chunk by
  chunk (each chunk committed on its own), the summary.
"""
