package org.refconv.dist;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RendezvousAddressTest {

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    // A Debian host h1: its own name on 127.0.1.1, one bridge interface, a down interface and a link-local one.
    private static final List<RendezvousAddress.Interface> DEBIAN = List.of(
            new RendezvousAddress.Interface("lo", true, true, List.of(ip("127.0.0.1"))),
            new RendezvousAddress.Interface("eth1", false, false, List.of(ip("192.168.9.9"))),
            new RendezvousAddress.Interface("eth2", true, false, List.of(ip("169.254.3.4"))),
            new RendezvousAddress.Interface("eth0", true, false, List.of(ip("fe80::1"), ip("10.77.0.11"))));

    private static final RendezvousAddress.Resolver HOSTS = host -> {
        String a = Map.of("h1", "127.0.1.1", "h2", "10.77.0.12", "localhost", "127.0.0.1")
                .get(host);
        if (a == null) {
            throw new UnknownHostException(host);
        }
        return ip(a);
    };

    @Test
    void aHostNameOnLoopbackIsReplacedByTheAddressOfAnUpNonLoopbackInterface() {
        assertEquals("10.77.0.11", RendezvousAddress.choose("h1", null, HOSTS, DEBIAN));
        assertEquals("10.77.0.11", RendezvousAddress.choose("localhost", "  ", HOSTS, DEBIAN));
    }

    @Test
    void aReachableNameOrAnyLiteralIsKept() {
        assertEquals("10.77.0.12", RendezvousAddress.choose("h2", null, HOSTS, DEBIAN));
        // 127.0.0.1 given as such is a single-host setup (SPARK_LOCAL_IP=127.0.0.1): peers are on this machine.
        assertEquals("127.0.0.1", RendezvousAddress.choose("127.0.0.1", null, InetAddress::getByName, DEBIAN));
        assertEquals("10.1.2.3", RendezvousAddress.choose("10.1.2.3", null, InetAddress::getByName, DEBIAN));
    }

    @Test
    void onlyLoopbackMeansEveryPeerIsHere() {
        List<RendezvousAddress.Interface> loOnly = List.of(DEBIAN.get(0));
        assertEquals("127.0.1.1", RendezvousAddress.choose("h1", null, HOSTS, loOnly));
    }

    @Test
    void theOverrideNamesAnInterfaceAnAddressOrASubnet() {
        assertEquals("127.0.0.1", RendezvousAddress.choose("h2", "lo", HOSTS, DEBIAN));
        assertEquals("10.77.0.11", RendezvousAddress.choose("h1", "eth0", HOSTS, DEBIAN));
        assertEquals("10.9.8.7", RendezvousAddress.choose("h1", "10.9.8.7", HOSTS, DEBIAN));
        assertEquals("10.77.0.11", RendezvousAddress.choose("h1", "10.77.0.0/24", HOSTS, DEBIAN));
        assertEquals("10.77.0.11", RendezvousAddress.choose("h1", "10.0.0.0/8", HOSTS, DEBIAN));
        IllegalArgumentException none = assertThrows(
                IllegalArgumentException.class, () -> RendezvousAddress.choose("h1", "10.78.0.0/24", HOSTS, DEBIAN));
        assertTrue(none.getMessage().contains("eth0 fe80"), none.getMessage());
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class, () -> RendezvousAddress.choose("h1", "ib0", HOSTS, DEBIAN));
        assertTrue(missing.getMessage().contains("no interface ib0"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RendezvousAddress.choose("h1", "eth1", HOSTS, DEBIAN));
    }

    @Test
    void subnetMembershipIsBitwise() {
        byte[] a = ip("10.77.0.130").getAddress();
        assertTrue(RendezvousAddress.inSubnet(a, ip("10.77.0.128").getAddress(), 25));
        assertFalse(RendezvousAddress.inSubnet(a, ip("10.77.0.0").getAddress(), 25));
        assertTrue(RendezvousAddress.inSubnet(a, ip("0.0.0.0").getAddress(), 0));
        assertFalse(RendezvousAddress.inSubnet(a, ip("::").getAddress(), 0));
    }

    @Test
    void thisMachinesChoiceIsOneOfItsAddresses() {
        String chosen = RendezvousAddress.choose("localhost", null);
        boolean anyNonLoopback = RendezvousAddress.interfaces().stream()
                .anyMatch(i -> i.up()
                        && !i.loopback()
                        && i.addresses().stream()
                                .anyMatch(x -> x instanceof java.net.Inet4Address && !x.isLinkLocalAddress()));
        assertEquals(anyNonLoopback, !ip(chosen).isLoopbackAddress(), chosen);
    }
}
