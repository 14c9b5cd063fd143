//! Names where the debug information has none: the symbol a data address
//! falls in (a global mutex: `orders`, `main::ORDERS`), from the module's
//! file, and function names from a module's dynamic symbol table read from
//! the process's memory, for libraries whose files are not at hand.

use super::unwind::Module;
use crate::input::elfcore::{CoreFile, Memory};
use object::{Object, ObjectSymbol, SymbolKind};

/// Symbols of one module: `(start, end, name)` sorted by start.
#[derive(Debug, Default)]
pub struct SymbolTable {
    syms: Vec<(u64, u64, String)>,
}

impl SymbolTable {
    /// The symbols of an ELF file's `.symtab` and `.dynsym` of `kind`
    /// (data or text).
    pub fn from_file(bytes: &[u8], data: bool) -> SymbolTable {
        let mut syms = Vec::new();
        if let Ok(file) = object::File::parse(bytes) {
            for s in file.symbols().chain(file.dynamic_symbols()) {
                let wanted = if data {
                    s.kind() == SymbolKind::Data
                } else {
                    s.kind() == SymbolKind::Text
                };
                if !wanted || s.address() == 0 {
                    continue;
                }
                if let Ok(name) = s.name() {
                    if !name.is_empty() {
                        syms.push((s.address(), s.address() + s.size().max(1), name.to_string()));
                    }
                }
            }
        }
        SymbolTable::sorted(syms)
    }

    /// The function symbols of a module's dynamic symbol table, read from
    /// memory through its `PT_DYNAMIC` (`DT_SYMTAB`, `DT_STRTAB`).
    pub fn from_memory(core: &CoreFile, m: &Module) -> SymbolTable {
        let mut syms = Vec::new();
        let Some(dynamic) = m.dynamic else {
            return SymbolTable::default();
        };
        let (mut symtab, mut strtab, mut strsz) = (None, None, 0u64);
        for i in 0..512u64 {
            let (Some(tag), Some(val)) = (
                core.read_u64(dynamic + 16 * i),
                core.read_u64(dynamic + 16 * i + 8),
            ) else {
                break;
            };
            // The loader relocates these in place for most modules; the
            // vDSO's stay ELF addresses.
            let abs = if val < m.start {
                val.wrapping_add(m.bias)
            } else {
                val
            };
            match tag {
                0 => break,
                5 => strtab = Some(abs),
                6 => symtab = Some(abs),
                10 => strsz = val,
                _ => {}
            }
        }
        let (Some(symtab), Some(strtab)) = (symtab, strtab) else {
            return SymbolTable::default();
        };
        if strtab <= symtab {
            return SymbolTable::default();
        }
        let count = ((strtab - symtab) / 24).min(200_000);
        for i in 0..count {
            let mut e = [0u8; 24];
            if !core.read(symtab + 24 * i, &mut e) {
                break;
            }
            let name = u32::from_le_bytes([e[0], e[1], e[2], e[3]]) as u64;
            let info = e[4];
            let value = u64::from_le_bytes(e[8..16].try_into().unwrap_or([0; 8]));
            let size = u64::from_le_bytes(e[16..24].try_into().unwrap_or([0; 8]));
            if info & 0xf != 2 || value == 0 || (strsz > 0 && name >= strsz) {
                continue;
            }
            if let Some(n) = core.read_cstr(strtab + name, 512) {
                if !n.is_empty() {
                    syms.push((value, value + size.max(1), n));
                }
            }
        }
        SymbolTable::sorted(syms)
    }

    fn sorted(mut syms: Vec<(u64, u64, String)>) -> SymbolTable {
        syms.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        SymbolTable { syms }
    }

    /// The symbol containing the ELF address `vaddr`.
    pub fn containing(&self, vaddr: u64) -> Option<&str> {
        let i = self.syms.partition_point(|s| s.0 <= vaddr).checked_sub(1)?;
        // The closest start at or below; a shorter alias may hide a longer
        // symbol starting at the same address.
        self.syms[..=i]
            .iter()
            .rev()
            .take(8)
            .find(|s| vaddr < s.1)
            .map(|s| s.2.as_str())
    }
}

/// A symbol name as a debugger prints it: demangled (C++, Rust).
pub fn demangled(name: &str) -> String {
    addr2line::demangle_auto(name.into(), None).into_owned()
}
