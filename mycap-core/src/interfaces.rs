//! The interfaces a live session can capture on, with their state and link type, as `tcpdump -D` lists them.

use std::path::Path;

use capture_file::LinkType;

use crate::live::link_type_of;
use crate::{sys, Error};

/// One interface of a network namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The kernel's interface index.
    pub index: u32,
    /// The interface name.
    pub name: String,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Operationally up (`IFF_RUNNING`).
    pub running: bool,
    /// The loopback interface.
    pub loopback: bool,
    /// The `ARPHRD_*` hardware type.
    pub hardware_type: u16,
    /// What a packet captured on it starts with ([`link_type_of`]).
    pub link_type: LinkType,
}

/// The interfaces of the namespace at `netns` (the caller's when `None`),
/// by index. Needs no privilege (entering another namespace does).
///
/// # Errors
/// [`Error::Os`] when the namespace cannot be entered or listed.
pub fn interfaces(netns: Option<&Path>) -> Result<Vec<InterfaceInfo>, Error> {
    let listed = match netns {
        None => sys::links::list(),
        Some(path) => sys::in_netns(path, sys::links::list).and_then(|r| r),
    };
    let mut links = listed.map_err(|source| Error::Os {
        context: match netns {
            Some(path) => format!(
                "listing the interfaces of network namespace {}",
                path.display()
            ),
            None => "listing the interfaces (if_nameindex)".into(),
        },
        source,
    })?;
    links.sort_by_key(|l| l.index);
    Ok(links
        .into_iter()
        .map(|l| InterfaceInfo {
            index: l.index,
            name: l.name,
            up: l.flags & libc::IFF_UP != 0,
            running: l.flags & libc::IFF_RUNNING != 0,
            loopback: l.flags & libc::IFF_LOOPBACK != 0,
            hardware_type: l.hatype,
            link_type: link_type_of(l.hatype),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loopback_interface_is_listed_up_as_ethernet() {
        let all = interfaces(None).expect("if_nameindex");
        let lo = all
            .iter()
            .find(|i| i.name == "lo")
            .expect("lo is always there");
        assert!(lo.up && lo.loopback, "{lo:?}");
        assert_eq!(lo.hardware_type, libc::ARPHRD_LOOPBACK);
        assert_eq!(lo.link_type, LinkType::ETHERNET);
        assert!(all.windows(2).all(|w| w[0].index < w[1].index));
    }
}
