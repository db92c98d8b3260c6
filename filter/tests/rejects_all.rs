//! A filter that can keep nothing is refused, as libpcap refuses it ("expression rejects all packets").

use capture_file::LinkType;

#[test]
fn a_filter_that_keeps_nothing_is_refused_and_one_that_may_keep_something_is_not() {
    for (expression, link_type) in [("arp", LinkType::RAW), ("ip6 and tcp", LinkType(228))] {
        let e = netraf_filter::compile(expression, link_type, 65535)
            .expect_err(expression)
            .to_string();
        assert!(e.contains("rejects all packets"), "{expression}: {e}");
    }
    for (expression, link_type) in [("arp", LinkType::ETHERNET), ("ip or arp", LinkType::RAW)] {
        assert!(
            netraf_filter::compile(expression, link_type, 65535).is_ok(),
            "{expression}"
        );
    }
}
