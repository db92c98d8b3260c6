//! Code layout: a tree of tests with true/false edges flattened into classic BPF jumps, with `ja` for jumps beyond 255.

use netraf_bpf::opcode::*;
use netraf_bpf::Insn;

/// A boolean tree of tests, as gencode's blocks.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    True,
    False,
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    /// Statements, then a conditional jump (`code` = JMP | JEQ/JGT/JGE/JSET | K/X).
    Test {
        stmts: Vec<Insn>,
        code: u16,
        k: u32,
    },
    /// Blocks sharing successors (a walk unrolled, whose steps all lead to
    /// the next one): entered at the first, each edge leads to a later block
    /// or out of the graph, as true or false.
    Graph(Vec<Block>),
}

/// Where an edge of a [`Cond::Graph`] block leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// The block of this index, after the one the edge leaves.
    Block(usize),
    True,
    False,
}

/// A block of a [`Cond::Graph`]: statements, then a conditional jump
/// (`code` as in [`Cond::Test`]) to `t` or `f`, or with `code` 0, a jump to `t`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) stmts: Vec<Insn>,
    pub(crate) code: u16,
    pub(crate) k: u32,
    pub(crate) t: Edge,
    pub(crate) f: Edge,
}

impl Cond {
    pub(crate) fn and(a: Cond, b: Cond) -> Cond {
        Cond::And(Box::new(a), Box::new(b))
    }
    pub(crate) fn or(a: Cond, b: Cond) -> Cond {
        Cond::Or(Box::new(a), Box::new(b))
    }
    pub(crate) fn not(a: Cond) -> Cond {
        Cond::Not(Box::new(a))
    }

    /// Whether no packet can satisfy the condition, whatever its bytes (a
    /// constant false, such as `arp` on a raw IP link, reached through
    /// `and`, `or` and `not`): libpcap refuses such an expression.
    pub(crate) fn always_false(&self) -> bool {
        match self {
            Cond::False => true,
            Cond::True | Cond::Test { .. } | Cond::Graph(_) => false,
            Cond::And(a, b) => a.always_false() || b.always_false(),
            Cond::Or(a, b) => a.always_false() && b.always_false(),
            Cond::Not(a) => a.always_true(),
        }
    }

    /// Whether every packet satisfies the condition: a constant true, or
    /// one reached before any load that could fail.
    fn always_true(&self) -> bool {
        match self {
            Cond::True => true,
            Cond::False | Cond::Test { .. } | Cond::Graph(_) => false,
            Cond::And(a, b) => a.always_true() && b.always_true(),
            Cond::Or(a, _) => a.always_true(),
            Cond::Not(a) => a.always_false(),
        }
    }
}

type Label = usize;

enum Item {
    Plain(Insn),
    Jump {
        code: u16,
        k: u32,
        t: Label,
        f: Label,
        far: bool,
    },
    Ja(Label),
    Here(Label),
}

struct Emitter {
    items: Vec<Item>,
    labels: usize,
}

impl Emitter {
    fn label(&mut self) -> Label {
        self.labels += 1;
        self.labels - 1
    }

    fn gen(&mut self, c: &Cond, t: Label, f: Label) {
        match c {
            Cond::True => self.items.push(Item::Ja(t)),
            Cond::False => self.items.push(Item::Ja(f)),
            Cond::And(a, b) => {
                let l = self.label();
                self.gen(a, l, f);
                self.items.push(Item::Here(l));
                self.gen(b, t, f);
            }
            Cond::Or(a, b) => {
                let l = self.label();
                self.gen(a, t, l);
                self.items.push(Item::Here(l));
                self.gen(b, t, f);
            }
            Cond::Not(a) => self.gen(a, f, t),
            Cond::Test { stmts, code, k } => {
                self.items.extend(stmts.iter().map(|i| Item::Plain(*i)));
                self.items.push(Item::Jump {
                    code: *code,
                    k: *k,
                    t,
                    f,
                    far: false,
                });
            }
            Cond::Graph(blocks) => {
                let labels: Vec<Label> = blocks.iter().map(|_| self.label()).collect();
                let to = |e: Edge| match e {
                    Edge::Block(i) => labels[i],
                    Edge::True => t,
                    Edge::False => f,
                };
                for (i, b) in blocks.iter().enumerate() {
                    self.items.push(Item::Here(labels[i]));
                    self.items.extend(b.stmts.iter().map(|i| Item::Plain(*i)));
                    if b.code == 0 {
                        self.items.push(Item::Ja(to(b.t)));
                    } else {
                        self.items.push(Item::Jump {
                            code: b.code,
                            k: b.k,
                            t: to(b.t),
                            f: to(b.f),
                            far: false,
                        });
                    }
                }
            }
        }
    }
}

/// Lays out `cond` as a program accepting `snaplen` bytes when it holds.
pub(crate) fn emit(cond: &Cond, snaplen: u32) -> Vec<Insn> {
    let mut e = Emitter {
        items: Vec::new(),
        labels: 0,
    };
    let (t, f) = (e.label(), e.label());
    e.gen(cond, t, f);
    e.items.push(Item::Here(t));
    e.items.push(Item::Plain(Insn::ret(snaplen)));
    e.items.push(Item::Here(f));
    e.items.push(Item::Plain(Insn::ret(0)));
    let mut items = drop_jumps_to_next(std::mem::take(&mut e.items));
    // Thread the jumps whose outcome the path to them decides, then drop
    // the code left without effect, until nothing changes (bounded).
    for _ in 0..8 {
        let (threaded, changed) = thread_jumps(items, e.labels);
        items = drop_jumps_to_next(drop_unreachable(drop_dead(threaded, e.labels)));
        if !changed {
            break;
        }
    }
    let mut items = drop_reloads(items, e.labels);
    // Widen the jumps that do not fit in 8 bits, until all fit.
    let mut addr = vec![0usize; e.labels];
    loop {
        let mut pc = 0;
        let mut pcs = Vec::with_capacity(items.len());
        for i in &items {
            pcs.push(pc);
            match i {
                Item::Here(l) => addr[*l] = pc,
                Item::Jump { far: true, .. } => pc += 3,
                _ => pc += 1,
            }
        }
        let mut changed = false;
        for (i, item) in items.iter_mut().enumerate() {
            if let Item::Jump { t, f, far, .. } = item {
                if !*far && (addr[*t] - pcs[i] - 1 > 255 || addr[*f] - pcs[i] - 1 > 255) {
                    *far = true;
                    changed = true;
                }
            }
        }
        if !changed {
            let mut out = Vec::with_capacity(pc);
            for (i, item) in items.iter().enumerate() {
                let pc = pcs[i];
                match item {
                    Item::Here(_) => {}
                    Item::Plain(insn) => out.push(*insn),
                    Item::Ja(l) => out.push(Insn::new(JMP | JA, 0, 0, (addr[*l] - pc - 1) as u32)),
                    Item::Jump {
                        code,
                        k,
                        t,
                        f,
                        far: false,
                    } => out.push(Insn::new(
                        *code,
                        (addr[*t] - pc - 1) as u8,
                        (addr[*f] - pc - 1) as u8,
                        *k,
                    )),
                    Item::Jump { code, k, t, f, .. } => {
                        out.push(Insn::new(*code, 0, 1, *k));
                        out.push(Insn::new(JMP | JA, 0, 0, (addr[*t] - pc - 2) as u32));
                        out.push(Insn::new(JMP | JA, 0, 0, (addr[*f] - pc - 3) as u32));
                    }
                }
            }
            return out;
        }
    }
}

/// Drops each `ja` to the very next instruction.
fn drop_jumps_to_next(raw: Vec<Item>) -> Vec<Item> {
    let keeps: Vec<bool> = (0..raw.len())
        .map(|idx| match &raw[idx] {
            Item::Ja(l) => !raw[idx + 1..]
                .iter()
                .take_while(|i| matches!(i, Item::Here(_)))
                .any(|i| matches!(i, Item::Here(h) if h == l)),
            _ => true,
        })
        .collect();
    raw.into_iter()
        .zip(keeps)
        .filter_map(|(i, keep)| keep.then_some(i))
        .collect()
}

/// What the paths to a point say of a fixed load's value (all jumps go
/// forward, so one pass in order sees every path to a label first).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fact {
    Is(u32),
    IsNot(Vec<u32>),
}

/// Facts per fixed load: the weakest of two paths' facts.
fn meet_facts(a: &[(Value, Fact)], b: &[(Value, Fact)]) -> Vec<(Value, Fact)> {
    a.iter()
        .filter_map(|(load, fa)| {
            let (_, fb) = b.iter().find(|(l, _)| l == load)?;
            let fact = match (fa, fb) {
                (Fact::Is(x), Fact::Is(y)) if x == y => Fact::Is(*x),
                (Fact::Is(_), Fact::Is(_)) => return None,
                (Fact::Is(x), Fact::IsNot(s)) | (Fact::IsNot(s), Fact::Is(x)) => {
                    Fact::IsNot(s.iter().copied().filter(|v| v != x).collect())
                }
                (Fact::IsNot(s), Fact::IsNot(t)) => {
                    Fact::IsNot(s.iter().copied().filter(|v| t.contains(v)).collect())
                }
            };
            Some((*load, fact))
        })
        .collect()
}

/// A value the same wherever it is computed: a fixed load, masked (`and`
/// with a constant; `u32::MAX` for none).
type Value = (Insn, u32);

/// What a path knows: A's content (a fixed load, if known) and the facts.
#[derive(Debug, Clone)]
struct Known {
    a: Option<Value>,
    facts: Vec<(Value, Fact)>,
}

fn meet_known(a: Known, b: &Known) -> Known {
    Known {
        a: if a.a == b.a { a.a } else { None },
        facts: meet_facts(&a.facts, &b.facts),
    }
}

/// The test a label starts: an optional fixed load, then a conditional
/// jump on K; and whether the code there starts by setting A afresh.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    test: Option<(Option<Value>, u16, u32, Label, Label)>,
    /// The label starts with a `ja` there.
    ja: Option<Label>,
    fresh: bool,
}

/// The [`Entry`] of every label of `items`.
fn entries(items: &[Item], labels: usize) -> Vec<Entry> {
    let mut out = vec![Entry::default(); labels];
    for (idx, item) in items.iter().enumerate() {
        let Item::Here(l) = item else { continue };
        let mut rest = items[idx + 1..]
            .iter()
            .filter(|i| !matches!(i, Item::Here(_)));
        let first = rest.next();
        if let Some(Item::Ja(to)) = first {
            out[*l].ja = Some(*to);
        }
        out[*l].fresh = matches!(first, Some(Item::Plain(i))
            if (i.code & 7 == LD && i.code & 0xe0 != IND && i.code & 0xe0 != MEM) || i.code & 7 == RET);
        let (load, jump) = match first {
            Some(Item::Plain(i)) if is_fixed_load(i) => match rest.next() {
                Some(Item::Plain(m)) if m.code == ALU | AND | K => (Some((*i, m.k)), rest.next()),
                next => (Some((*i, u32::MAX)), next),
            },
            other => (None, other),
        };
        if let Some(Item::Jump { code, k, t, f, .. }) = jump {
            if code & X == 0 {
                out[*l].test = Some((load, *code, *k, *t, *f));
            }
        }
    }
    out
}

/// The outcome of test `code`/`k` on A, by what `known` says of A.
fn decide(known: &Known, a: Option<Value>, code: u16, k: u32) -> Option<bool> {
    let load = a?;
    let (_, fact) = known.facts.iter().find(|(l, _)| *l == load)?;
    match (fact, code & 0xf0) {
        (Fact::Is(v), JEQ) => Some(*v == k),
        (Fact::Is(v), JGT) => Some(*v > k),
        (Fact::Is(v), JGE) => Some(*v >= k),
        (Fact::Is(v), _) => Some(*v & k != 0),
        (Fact::IsNot(s), JEQ) if s.contains(&k) => Some(false),
        _ => None,
    }
}

/// Where an edge to `l` that `known` holds on may go instead: past each
/// test at a label whose outcome `known` decides (libpcap's optimizer
/// threads its edges so).
fn resolve(entries: &[Entry], mut l: Label, known: &Known) -> Label {
    for _ in 0..64 {
        if let Some(to) = entries[l].ja {
            l = to;
            continue;
        }
        let Some((load, code, k, t, f)) = entries[l].test else {
            break;
        };
        let a = load.or(known.a);
        let Some(outcome) = decide(known, a, code, k) else {
            break;
        };
        let to = if outcome { t } else { f };
        // Skipping the load leaves A as the edge has it: only where the
        // code there sets A afresh, or A already holds that load.
        if load.is_some() && load != known.a && !entries[to].fresh {
            break;
        }
        l = to;
    }
    l
}

/// Retargets each jump (and fall-through) whose outcome at its target the
/// facts of its path decide (the EtherType tested again after a test of
/// it, say), as libpcap's optimizer does; says whether any was.
fn thread_jumps(items: Vec<Item>, labels: usize) -> (Vec<Item>, bool) {
    let entries = entries(&items, labels);
    let mut at_label: Vec<Option<Known>> = vec![None; labels];
    let reach = |at: &mut Vec<Option<Known>>, l: Label, k: Known| {
        at[l] = Some(match at[l].take() {
            None => k,
            Some(b) => meet_known(k, &b),
        });
    };
    let mut current: Option<Known> = Some(Known {
        a: None,
        facts: Vec::new(),
    });
    let mut changed = false;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Item::Here(l) => {
                if let Some(k) = current.take() {
                    let to = resolve(&entries, l, &k);
                    if to != l {
                        out.push(Item::Ja(to));
                        reach(&mut at_label, to, k);
                        changed = true;
                    } else {
                        current = Some(k);
                    }
                }
                current = match (current, at_label[l].take()) {
                    (Some(a), Some(b)) => Some(meet_known(a, &b)),
                    (Some(a), None) | (None, Some(a)) => Some(a),
                    (None, None) => None,
                };
                out.push(item);
            }
            Item::Plain(insn) => {
                if let Some(k) = current.as_mut() {
                    match insn.code & 7 {
                        RET => current = None,
                        LD if is_fixed_load(&insn) => k.a = Some((insn, u32::MAX)),
                        ALU if insn.code == ALU | AND | K => {
                            k.a = match k.a {
                                Some((load, u32::MAX)) => Some((load, insn.k)),
                                _ => None,
                            }
                        }
                        LD | ALU => k.a = None,
                        MISC if insn.code & 0xf8 == TXA => k.a = None,
                        _ => {}
                    }
                }
                out.push(item);
            }
            Item::Ja(l) => {
                let Some(k) = current.take() else {
                    out.push(item);
                    continue;
                };
                let to = resolve(&entries, l, &k);
                changed |= to != l;
                reach(&mut at_label, to, k);
                out.push(Item::Ja(to));
            }
            Item::Jump {
                code,
                k: value,
                t,
                f,
                far,
            } => {
                let Some(known) = current.take() else {
                    out.push(item);
                    continue;
                };
                let decided = if code & X == 0 {
                    decide(&known, known.a, code, value)
                } else {
                    None
                };
                // What each edge teaches of the load in A.
                let mut on_true = known.clone();
                let mut on_false = known;
                if let (Some(load), 0, JEQ) = (on_true.a, code & X, code & 0xf0) {
                    on_true.facts.retain(|(l, _)| *l != load);
                    on_true.facts.push((load, Fact::Is(value)));
                    match on_false.facts.iter_mut().find(|(l, _)| *l == load) {
                        Some((_, Fact::IsNot(s))) => s.push(value),
                        Some(_) => {}
                        None => on_false.facts.push((load, Fact::IsNot(vec![value]))),
                    }
                }
                let (t2, f2) = (
                    resolve(&entries, t, &on_true),
                    resolve(&entries, f, &on_false),
                );
                changed |= t2 != t || f2 != f;
                match decided {
                    Some(true) => {
                        reach(&mut at_label, t2, on_true);
                        out.push(Item::Ja(t2));
                        changed = true;
                    }
                    Some(false) => {
                        reach(&mut at_label, f2, on_false);
                        out.push(Item::Ja(f2));
                        changed = true;
                    }
                    None if t2 == f2 => {
                        reach(&mut at_label, t2, meet_known(on_true, &on_false));
                        out.push(Item::Ja(t2));
                        changed = true;
                    }
                    None => {
                        reach(&mut at_label, t2, on_true);
                        reach(&mut at_label, f2, on_false);
                        out.push(Item::Jump {
                            code,
                            k: value,
                            t: t2,
                            f: f2,
                            far,
                        });
                    }
                }
            }
        }
    }
    (out, changed)
}

/// The registers an instruction reads and writes, as bits: A = 1, X = 2,
/// M[i] = 4 << i; and whether it may end the program (a division by X).
fn uses_defs(insn: &Insn) -> (u32, u32, bool) {
    let mem = |k: u32| 4u32 << (k as usize % MEMWORDS);
    let (a, x) = (1, 2);
    match insn.code & 7 {
        LD => match insn.code & 0xe0 {
            IND => (x, a, false),
            MEM => (mem(insn.k), a, false),
            _ => (0, a, false),
        },
        LDX => match insn.code & 0xe0 {
            MEM => (mem(insn.k), x, false),
            _ => (0, x, false),
        },
        ST => (a, mem(insn.k), false),
        STX => (x, mem(insn.k), false),
        ALU => {
            let by_x = insn.code & X != 0 && insn.code & 0xf0 != NEG;
            let div = by_x && matches!(insn.code & 0xf0, DIV | MOD);
            (if by_x { a | x } else { a }, a, div)
        }
        JMP => (if insn.code & X != 0 { a | x } else { a }, 0, false),
        RET => (if insn.code & 0x18 == A { a } else { 0 }, 0, true),
        _ if insn.code & 0xf8 == TXA => (x, a, false),
        _ => (a, x, false),
    }
}

/// Drops the statements whose results nothing reads (the loads of a test
/// whose both edges now lead to the same place), as libpcap's optimizer.
fn drop_dead(items: Vec<Item>, labels: usize) -> Vec<Item> {
    let mut live_at: Vec<u32> = vec![0; labels];
    let mut live = 0u32;
    let mut keep = vec![true; items.len()];
    for (idx, item) in items.iter().enumerate().rev() {
        match item {
            Item::Here(l) => live_at[*l] = live,
            Item::Ja(l) => live = live_at[*l],
            Item::Jump { code, t, f, .. } => {
                let (uses, _, _) = uses_defs(&Insn::new(*code, 0, 0, 0));
                live = live_at[*t] | live_at[*f] | uses;
            }
            Item::Plain(insn) => {
                let (uses, defs, effect) = uses_defs(insn);
                if insn.code & 7 == RET {
                    live = uses;
                } else if !effect && defs & live == 0 {
                    keep[idx] = false;
                } else {
                    live = (live & !defs) | uses;
                }
            }
        }
    }
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(i, keep)| keep.then_some(i))
        .collect()
}

/// Drops the items no path reaches.
fn drop_unreachable(items: Vec<Item>) -> Vec<Item> {
    let mut target = std::collections::HashSet::new();
    let mut reachable = true;
    let mut keep = vec![true; items.len()];
    for (idx, item) in items.iter().enumerate() {
        if let Item::Here(l) = item {
            if target.contains(l) {
                reachable = true;
            }
        }
        keep[idx] = reachable;
        if !reachable {
            continue;
        }
        match item {
            Item::Ja(l) => {
                target.insert(*l);
                reachable = false;
            }
            Item::Jump { t, f, .. } => {
                target.insert(*t);
                target.insert(*f);
                reachable = false;
            }
            Item::Plain(insn) if insn.code & 7 == RET => reachable = false,
            _ => {}
        }
    }
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(i, keep)| keep.then_some(i))
        .collect()
}

/// Whether `insn` loads A from the packet at a fixed place, its length, or a
/// constant: a load that gives the same value wherever it runs.
fn is_fixed_load(insn: &Insn) -> bool {
    insn.code & 7 == LD && matches!(insn.code & 0xe0, ABS | LEN | IMM)
}

/// Drops the fixed loads of a value A already holds on every path to them
/// (the EtherType reloaded by each primitive, say).
fn drop_reloads(items: Vec<Item>, labels: usize) -> Vec<Item> {
    let sets_a = |insn: &Insn| {
        matches!(insn.code & 7, LD | ALU) || (insn.code & 7 == MISC && insn.code & 0xf8 == TXA)
    };
    let items = drop_reloads_of(items, labels, is_fixed_load, sets_a);
    // The same for X (`ldxb 4*([14]&0xf)` of each port test, say).
    let fixed_x = |insn: &Insn| insn.code & 7 == LDX && matches!(insn.code & 0xe0, IMM | LEN | MSH);
    let sets_x =
        |insn: &Insn| insn.code & 7 == LDX || (insn.code & 7 == MISC && insn.code & 0xf8 == TAX);
    drop_reloads_of(items, labels, fixed_x, sets_x)
}

/// Drops the `fixed` loads of a value the register already holds on every
/// path to them; `sets` says which instructions change the register.
fn drop_reloads_of(
    items: Vec<Item>,
    labels: usize,
    fixed: impl Fn(&Insn) -> bool,
    sets: impl Fn(&Insn) -> bool,
) -> Vec<Item> {
    // What A holds: `None` unknown; per label, `None` until a path reaches it.
    let meet = |a: Option<Insn>, b: Option<Insn>| if a == b { a } else { None };
    let mut at_label: Vec<Option<Option<Insn>>> = vec![None; labels];
    let reach = |at: &mut Vec<Option<Option<Insn>>>, l: Label, a: Option<Insn>| {
        at[l] = Some(match at[l] {
            None => a,
            Some(b) => meet(a, b),
        });
    };
    // `current`: `None` when unreachable by falling through.
    let mut current: Option<Option<Insn>> = Some(None);
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match &item {
            Item::Here(l) => {
                current = match (current, at_label[*l]) {
                    (Some(a), Some(b)) => Some(meet(a, b)),
                    (Some(a), None) | (None, Some(a)) => Some(a),
                    (None, None) => None,
                };
            }
            Item::Plain(insn) => {
                let a = current.flatten();
                if fixed(insn) && a == Some(*insn) {
                    continue;
                }
                current = match insn.code & 7 {
                    RET => None,
                    _ if fixed(insn) => Some(Some(*insn)),
                    _ if sets(insn) => Some(None),
                    _ => current,
                };
            }
            Item::Jump { t, f, .. } => {
                let a = current.flatten();
                reach(&mut at_label, *t, a);
                reach(&mut at_label, *f, a);
                current = None;
            }
            Item::Ja(l) => {
                let a = current.flatten();
                reach(&mut at_label, *l, a);
                current = None;
            }
        }
        out.push(item);
    }
    out
}
