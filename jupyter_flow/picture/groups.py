"""Which nodes a picture of a run draws: big runs collapse into group nodes (pure, no widgets).

One place decides it, so the notebook widget, its SVG picture and the lab's run view (which gets
the elements from the server) show the same picture of the same run.

- A loop's fan-out (a ``StepGroup``/``TaskGroup``, or a DAG's root tasks, with more than
  ``FANOUT`` children: ``withItems``/``withParam``/``withSequence``) is one group node,
  ``<parent>::group``, with everything under those children.
- Past ``BUDGET`` drawn nodes, sub-DAGs and steps templates (``Steps``/``DAG`` nodes that are not
  the run's root) collapse into themselves, innermost first, until the picture fits.
- A group node carries its members' counts by phase (drawn as a pie, or a bar in the SVG) and
  the worst phase as a class; it opens on a click (``View.open``: ``PAGE`` more members per click,
  the rest stay grouped) and a search hit is revealed wherever it is (``View.reveal``).

Containment comes from Argo's own fields: a node's ``boundaryID`` (the Steps/DAG template it runs
in), a fan-out parent's ``children``, a ``Retry`` node's attempts. ``Picture`` keeps the result and
updates it in O(changed nodes) while only phases change (the widget follows 1,000 changes a second
that way), rebuilding only when the structure changes.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .elements import Elements, GEdge, GNode, _outbound, display_phase, node_classes, node_label, node_tip

FANOUT = 30        # a parent with more children than this draws them as one group
PAGE = 500         # an opened group draws this many more members per click; the rest stay grouped
BUDGET = 1500      # past this many drawn nodes, sub-DAGs/steps collapse, innermost first
WORST = ("Error", "Failed", "Running", "Suspended", "Pending", "Succeeded", "Omitted", "Skipped")
_CONTAINERS = ("Steps", "DAG")
_FANOUT_PARENTS = ("StepGroup", "TaskGroup", "Steps", "DAG")
_ITEM = re.compile(r"\(\d+:.*\)$")
_SEP = "::group"
_MORE = "::more"    # a container's members past MEMBERS
MEMBERS = BUDGET    # direct members a container draws before the rest become one group


def group_id(parent: str) -> str:
    return parent + _SEP


@dataclass
class View:
    """What the user opened: groups (id -> members shown) and nodes a search revealed."""

    opened: dict[str, int] = field(default_factory=dict)
    revealed: set[str] = field(default_factory=set)

    def open(self, gid: str, page: int = PAGE) -> None:
        self.opened[gid] = self.opened.get(gid, 0) + page

    def reveal(self, nid: str) -> None:
        self.revealed.add(nid)

    def key(self) -> tuple:
        return tuple(sorted(self.opened.items())), tuple(sorted(self.revealed))


class Structure:
    """The containment tree: node (or virtual fan-out group) id -> its container's id."""

    def __init__(self, nodes: Mapping[str, Mapping[str, Any]]):
        self.parent: dict[str, str | None] = {}
        self.index: dict[str, int] = {}          # a fan-out member's place among its parent's children
        self.fanouts: dict[str, str] = {}        # virtual group id -> the fan-out parent
        owner: dict[str, str] = {}
        for pid, p in nodes.items():
            kind = p.get("type")
            kids = [c for c in p.get("children") or () if c in nodes and c != pid]
            if kind == "Retry":
                for c in kids:
                    owner.setdefault(c, pid)
            elif kind in _FANOUT_PARENTS and len(kids) > FANOUT:
                gid = group_id(pid)
                self.fanouts[gid] = pid
                for i, c in enumerate(kids):
                    if c not in owner:
                        owner[c] = gid
                        self.index[c] = i
        for nid, n in nodes.items():
            if nid in owner:
                self.parent[nid] = owner[nid]
                continue
            b = n.get("boundaryID")
            self.parent[nid] = b if (b and b != nid and b in nodes
                                     and nodes[b].get("type") in _CONTAINERS) else None
        for gid, pid in self.fanouts.items():
            self.parent[gid] = pid if nodes[pid].get("type") in _CONTAINERS else self.parent.get(pid)
        self._overflow(MEMBERS)
        # hostile or broken data could make a loop of containers: cut it where it closes. Only
        # containers can be on a loop (each is someone's container), so only they are walked.
        self.depth: dict[str, int] = {}
        for start in {p for p in self.parent.values() if p is not None}:
            chain: list[str] = []
            seen: set[str] = set()
            cur: str | None = start
            while cur is not None and cur not in self.depth:
                if cur in seen:
                    self.parent[chain[-1]] = None
                    break
                seen.add(cur)
                chain.append(cur)
                cur = self.parent.get(cur)
            base = self.depth[cur] + 1 if cur is not None and cur in self.depth else 0
            for k, c in enumerate(reversed(chain)):
                self.depth[c] = base + k

    def _overflow(self, limit: int) -> None:
        """A container's direct members past the first ``limit`` (in node order) go into one more
        group, ``<container>::more``, opened like a fan-out (``PAGE`` a click). A chain of steps or
        of DAG tasks has no fan-out to group and only the run's root around it, so 100,000 of them
        were all drawn: 13 s and 23 MB a poll of the graph endpoint, pegging the Jupyter server."""
        members: dict[str, list[str]] = {}
        for nid, p in self.parent.items():
            if p is not None:
                members.setdefault(p, []).append(nid)
        self.members: dict[str, list[str]] = {}
        for container, kids in members.items():
            if len(kids) <= limit or container in self.fanouts:   # a fan-out pages its own members
                continue
            gid = container + _MORE
            rest = kids[limit:]
            self.fanouts[gid] = container
            self.members[gid] = rest
            self.parent[gid] = container
            for i, nid in enumerate(rest):
                self.parent[nid] = gid
                self.index[nid] = i

    def chain(self, nid: str) -> list[str]:
        """The containers of ``nid``, innermost first."""
        out = []
        cur = self.parent.get(nid)
        while cur is not None and len(out) < 1000:
            out.append(cur)
            cur = self.parent.get(cur)
        return out


def _group_label(nodes: Mapping[str, Mapping[str, Any]], gid: str, fanout: str | None, count: int) -> str:
    if gid.endswith(_MORE) and fanout is not None:
        parent = nodes[fanout]
        base = "\u2026 more of " + str(parent.get("displayName") or parent.get("name") or fanout)
    elif fanout is not None:
        parent = nodes[fanout]
        first = next((c for c in parent.get("children") or () if c in nodes), None)
        shown = str(nodes[first].get("displayName") or "") if first else ""
        base = _ITEM.sub("", shown) if _ITEM.search(shown) else ""     # a loop: its step's name
        base = base or str(parent.get("displayName") or parent.get("name") or fanout)
    else:
        base = str(nodes[gid].get("displayName") or nodes[gid].get("name") or gid)
    return f"{base} \u00d7{count}"


class Picture:
    """A run's picture: nodes -> grouped ``Elements``, kept up to date cheaply.

    ``elements`` is rebuilt when the structure changes; ``update`` takes changed node dicts and
    returns the ids of drawn nodes whose look changed (or None when the structure changed and
    ``elements`` was rebuilt: draw it whole)."""

    def __init__(self, run_name: str = "", *, budget: int = BUDGET) -> None:
        self.run_name = run_name
        self.budget = budget
        self.nodes: dict[str, dict] = {}
        self.view = View()
        self.selected: str | None = None
        self.found: str | None = None
        self.structure = Structure({})
        self.vis: dict[str, str] = {}
        self.collapsed: set[str] = set()
        self.counts: dict[str, dict[str, int]] = {}
        self.elements = Elements()

    # -- whole rebuilds ---------------------------------------------------------------------------
    def set_nodes(self, nodes: Mapping[str, Mapping[str, Any]]) -> Elements:
        self.nodes = dict(nodes)
        return self.rebuild()

    def rebuild(self, *, structure: bool = True) -> Elements:
        """Group and draw again; ``structure=False`` when only the view changed (same nodes)."""
        if structure:
            self.structure = Structure(self.nodes)
        self._compute_vis()
        self._draw()
        return self.elements

    def _compute_vis(self) -> None:
        st, view = self.structure, self.view
        shown_in = {}     # revealed nodes open every container on their way
        for nid in view.revealed:
            prev = nid
            for c in st.chain(nid):
                shown_in.setdefault(c, set()).add(prev)
                prev = c
        collapsed = {g for g in st.fanouts if not (view.opened.get(g, 0) >= len(self._members_of(g)))}
        self.collapsed = collapsed
        self._opened_sets = {g: set(shown_in.get(g, ())) for g in collapsed}
        self._assign()
        if len([1 for n, v in self.vis.items() if n == v]) + len(self._groups_drawn()) > self.budget:
            self._squeeze(shown_in)

    def _members_of(self, gid: str) -> list[str]:
        pid = self.structure.fanouts.get(gid)
        if pid is None:
            return []
        if gid in self.structure.members:
            return self.structure.members[gid]
        return [c for c in self.nodes[pid].get("children") or () if self.structure.parent.get(c) == gid]

    def _hides(self, container: str, member: str) -> bool:
        """Whether a collapsed ``container`` draws ``member`` (a direct member) inside its group node."""
        if container not in self.collapsed:
            return False
        if container in self.structure.fanouts:
            if member in self._opened_sets.get(container, ()):
                return False
            return self.structure.index.get(member, 0) >= self.view.opened.get(container, 0)
        return True

    def _assign(self) -> None:
        """``vis``: every node (and group id) -> what is drawn for it (itself or its group node).
        Containers first, outermost first (their depth), then every node in one tight pass."""
        st = self.structure
        parent, collapsed = st.parent, self.collapsed
        vis: dict[str, str] = {}

        def place(x: str) -> None:
            p = parent.get(x)
            if p is None:
                vis[x] = x
                return
            outer = vis.get(p, p)
            if outer != p:                      # the container itself is inside a group
                vis[x] = outer
            elif p in collapsed and self._hides(p, x):
                vis[x] = p
            else:
                vis[x] = x
        for c in sorted(st.depth, key=st.depth.__getitem__):
            place(c)
        for nid in self.nodes:
            if nid not in vis:
                p = parent.get(nid)
                if p is None or (p not in collapsed and vis.get(p, p) == p):
                    vis[nid] = nid
                else:
                    place(nid)
        self.vis = vis

    def _groups_drawn(self) -> set[str]:
        return {v for n, v in self.vis.items() if n != v}

    def _squeeze(self, shown_in: dict[str, set[str]]) -> None:
        """Collapse sub-DAGs/steps (innermost first) until the drawn count fits the budget."""
        st = self.structure
        root = self.run_name
        if not any(c in self.nodes and c != root and c not in shown_in and c not in self.view.opened
                   and self.nodes[c].get("type") in _CONTAINERS for c in st.depth):
            return                               # nothing that may collapse: the picture stays as it is
        drawn_under: dict[str, int] = {}
        for nid in self.nodes:
            if self.vis.get(nid) == nid:
                for c in st.chain(nid):
                    drawn_under[c] = drawn_under.get(c, 0) + 1
        total = sum(1 for nid in self.nodes if self.vis.get(nid) == nid) + len(self._groups_drawn())
        root = self.run_name
        candidates = [c for c in drawn_under if c in self.nodes and c != root and c not in shown_in
                      and c not in self.view.opened and self.nodes[c].get("type") in _CONTAINERS]
        candidates.sort(key=lambda c: (-st.depth.get(c, 0), -drawn_under.get(c, 0)))
        for c in candidates:
            if total <= self.budget:
                break
            saved = drawn_under.get(c, 0)
            if saved < 2:
                continue
            self.collapsed.add(c)
            total -= saved
            for a in st.chain(c):
                drawn_under[a] = drawn_under.get(a, 0) - saved
            drawn_under[c] = 0
        self._assign()

    def _draw(self) -> None:
        nodes, vis = self.nodes, self.vis
        out = Elements()
        counts: dict[str, dict[str, int]] = {}
        hidden = out.hidden
        for nid, v in vis.items():
            if v != nid and nid in nodes:
                hidden[nid] = v
                c = counts.get(v)
                if c is None:
                    c = counts[v] = {}
                p = display_phase(nodes[nid])
                c[p] = c.get(p, 0) + 1
        self.counts = counts
        for nid, node in nodes.items():
            if nid not in out.hidden:
                out.nodes[nid] = self._gnode(nid)
        for gid in counts:
            if gid not in nodes:
                out.nodes[gid] = self._gnode(gid)
        pairs: dict[tuple[str, str], None] = {}
        for nid, node in nodes.items():
            kids = node.get("children")
            if not kids:
                continue
            src = vis.get(nid, nid)
            for child in kids:
                dst = vis.get(child)
                if dst is not None and dst != src:
                    pairs[(src, dst)] = None
        for src, dst in pairs:
            e = GEdge(src, dst)
            out.edges[e.id] = e
        run_name = self.run_name
        if run_name and run_name in nodes:
            for nid, node in nodes.items():
                if (node.get("name") or "") == f"{run_name}.onExit":
                    sources = [o for o in _outbound(nodes, run_name) if o in nodes] or [run_name]
                    for src in sources:
                        e = GEdge(vis.get(src, src), vis.get(nid, nid), "onExit")
                        if e.source != e.target:
                            out.edges[e.id] = e
        self.elements = out

    def _gnode(self, nid: str) -> GNode:
        counts = self.counts.get(nid)
        extra = (" found" if nid == self.found else "")
        if counts:
            ordered = tuple((p, counts[p]) for p in WORST if counts.get(p)) + tuple(
                (p, n) for p, n in counts.items() if p not in WORST)
            worst = ordered[0][0]
            total = sum(counts.values())
            fanout = self.structure.fanouts.get(nid)
            label = _group_label(self.nodes, nid, fanout, total)
            detail = ", ".join(f"{n} {p}" for p, n in ordered)
            classes = f"Group {worst}" + (" picked" if nid == self.selected else "") + extra
            return GNode(id=nid, label=label, classes=classes, counts=ordered,
                         tip=html.escape(f"{label} (click to open): {detail}", quote=True))
        node = self.nodes[nid]
        return GNode(id=nid, label=node_label(node), classes=node_classes(node, selected=nid == self.selected) + extra,
                     tip=node_tip(node), parent_hint=str(node.get("boundaryID") or ""))

    # -- cheap updates --------------------------------------------------------------------------
    def update(self, changed: Mapping[str, Mapping[str, Any]]) -> set[str] | None:
        """Take new states of nodes; returns the drawn ids to restyle, or None after a rebuild."""
        structural = False
        touched: set[str] = set()
        for nid, node in changed.items():
            old = self.nodes.get(nid)
            if (old is None or old.get("type") != node.get("type") or old.get("boundaryID") != node.get("boundaryID")
                    or (old.get("children") or []) != (node.get("children") or [])):
                structural = True
            self.nodes[nid] = dict(node)
            if structural:
                continue
            v = self.vis.get(nid, nid)
            if v != nid:
                before, after = display_phase(old), display_phase(node)
                if before != after:
                    c = self.counts.setdefault(v, {})
                    c[before] = c.get(before, 0) - 1
                    if c[before] <= 0:
                        c.pop(before, None)
                    c[after] = c.get(after, 0) + 1
                touched.add(v)
            else:
                touched.add(nid)
        if structural:
            self.rebuild()
            return None
        for t in touched:
            if t in self.elements.nodes:
                self.elements.nodes[t] = self._gnode(t)
        return {t for t in touched if t in self.elements.nodes}

    def restyle(self, ids: Iterable[str]) -> list[GNode]:
        """Fresh ``GNode``s for drawn ids (after a selection or search changed their classes)."""
        out = []
        for nid in ids:
            if nid in self.elements.nodes:
                self.elements.nodes[nid] = self._gnode(nid)
                out.append(self.elements.nodes[nid])
        return out

    # -- user actions -------------------------------------------------------------------------------
    def is_group(self, nid: str | None) -> bool:
        return bool(nid) and nid in self.counts and (nid in self.structure.fanouts or nid in self.collapsed)

    def open(self, gid: str) -> Elements:
        """A click on a group: draw ``PAGE`` more of its members (a sub-DAG: all of them)."""
        if gid in self.structure.fanouts:
            self.view.open(gid)
        else:
            self.view.opened[gid] = 1 << 30
        return self.rebuild(structure=False)

    def find(self, query: str) -> str | None:
        """The first node whose name or display name contains ``query`` (case-insensitive), or
        whose phase is ``query``; an exact id wins."""
        q = (query or "").strip()
        if not q:
            return None
        if q in self.nodes:
            return q
        low = q.lower()
        for nid, n in self.nodes.items():
            if display_phase(n).lower() == low:
                return nid
        for nid, n in self.nodes.items():
            if low in str(n.get("displayName") or "").lower() or low in str(n.get("name") or "").lower():
                return nid
        return None

    def focus(self, query: str) -> str | None:
        """Find a node and reveal it (opening the groups it is in); returns its id."""
        nid = self.find(query)
        if nid is None:
            return None
        self.found = nid
        self.view.reveal(nid)
        self.rebuild(structure=False)
        return nid


def grouped(nodes: Mapping[str, Mapping[str, Any]], run_name: str = "", *, selected: str | None = None,
            view: View | None = None, budget: int = BUDGET) -> Elements:
    """The drawn elements of ``status.nodes`` (one-shot ``Picture``)."""
    pic = Picture(run_name, budget=budget)
    pic.selected = selected
    if view is not None:
        pic.view = view
    return pic.set_nodes(nodes)
