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
            Cond::True | Cond::Test { .. } => false,
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
            Cond::False | Cond::Test { .. } => false,
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
    // Drop `ja` to the very next instruction.
    let raw = std::mem::take(&mut e.items);
    let keeps: Vec<bool> = (0..raw.len())
        .map(|idx| match &raw[idx] {
            Item::Ja(l) => !raw[idx + 1..]
                .iter()
                .take_while(|i| matches!(i, Item::Here(_)))
                .any(|i| matches!(i, Item::Here(h) if h == l)),
            _ => true,
        })
        .collect();
    let items: Vec<Item> = raw
        .into_iter()
        .zip(keeps)
        .filter_map(|(i, keep)| keep.then_some(i))
        .collect();
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

/// Whether `insn` loads A from the packet at a fixed place, its length, or a
/// constant: a load that gives the same value wherever it runs.
fn is_fixed_load(insn: &Insn) -> bool {
    insn.code & 7 == LD && matches!(insn.code & 0xe0, ABS | LEN | IMM)
}

/// Drops the fixed loads of a value A already holds on every path to them
/// (the EtherType reloaded by each primitive, say).
fn drop_reloads(items: Vec<Item>, labels: usize) -> Vec<Item> {
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
                if is_fixed_load(insn) && a == Some(*insn) {
                    continue;
                }
                current = match insn.code & 7 {
                    RET => None,
                    LD if is_fixed_load(insn) => Some(Some(*insn)),
                    LD | ALU => Some(None),
                    MISC if insn.code & 0xf8 == TXA => Some(None),
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
