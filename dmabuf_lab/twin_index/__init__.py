"""The twin index: for every C function the lab models, which Python twin
mirrors it, under which revisions, read at which commit or posting.

:mod:`.packages` names the packages that hold twins and loads them,
:mod:`.table` builds the rows (shared by ``dmabuf-lab twins`` and the site
page), :mod:`.modelled` finds the functions the litmus scenarios run,
:mod:`.allow` lists the lab machinery that mirrors no C function.
"""
