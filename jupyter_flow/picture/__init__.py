"""A run's picture, decided once for every surface (pure: no widgets, no server).

``groups`` chooses what is drawn (big fan-outs and sub-DAGs as group nodes with phase counts),
``elements`` what each drawn node says, ``style`` how it looks (one palette, one stylesheet),
``layout`` where it goes, and ``wire`` the JSON the notebook widget's model and the lab's run view
both draw. The notebook (``notebook/``) and the server (``server/``) stand on it.
"""
