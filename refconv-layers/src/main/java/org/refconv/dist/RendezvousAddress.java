package org.refconv.dist;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The address a rank binds its collectives to and, on rank 0, advertises for the store: one its peers on other hosts
 * can reach. On a default Debian install a host's own name resolves to 127.0.1.1, so binding "the host name" makes
 * Gloo listen on, and tell its peers, a loopback address; here such a name is replaced by the address of an
 * interface that is up and not loopback (as Spark does for its own endpoints).
 *
 * <p>An override, like Gloo's and NCCL's {@code *_SOCKET_IFNAME}, picks the address explicitly: an interface name
 * ({@code eth0}), an address ({@code 10.0.0.5}) or a subnet ({@code 10.0.0.0/24}, the interface whose address lies in
 * it, for clusters whose interface names differ between hosts).
 */
public final class RendezvousAddress {

    /** An interface as this class needs it (so that the choice can be tested with any set of interfaces). */
    public record Interface(String name, boolean up, boolean loopback, List<InetAddress> addresses) {}

    /** Resolves a host name (InetAddress::getByName on a real host). */
    public interface Resolver {
        InetAddress resolve(String host) throws UnknownHostException;
    }

    private RendezvousAddress() {}

    /**
     * Chooses on this machine.
     *
     * @param host     this rank's host as the cluster manager names it (Spark's executor host: an address or a name)
     * @param override an interface name, address or subnet (CIDR); null or blank for the automatic choice
     */
    public static String choose(String host, String override) {
        return choose(host, override, InetAddress::getByName, interfaces());
    }

    /** Chooses among the given interfaces; see {@link #choose(String, String)}. */
    public static String choose(String host, String override, Resolver resolver, List<Interface> interfaces) {
        if (override != null && !override.isBlank()) {
            return fromOverride(override.trim(), interfaces);
        }
        InetAddress resolved;
        try {
            resolved = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(
                    "this rank's host " + host + " does not resolve; set the interface or" + " address to use ("
                            + describe(interfaces) + ")",
                    e);
        }
        // A loopback literal is a deliberate single-host setup (SPARK_LOCAL_IP=127.0.0.1, local[N]): keep it.
        if (!resolved.isLoopbackAddress() || isLiteral(host)) {
            return resolved.getHostAddress();
        }
        for (Interface i : interfaces) {
            if (i.up() && !i.loopback()) {
                for (InetAddress a : i.addresses()) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress() && !a.isLoopbackAddress()) {
                        return a.getHostAddress();
                    }
                }
            }
        }
        // Only loopback here: every peer is on this machine, so loopback is what they can reach.
        return resolved.getHostAddress();
    }

    private static String fromOverride(String override, List<Interface> interfaces) {
        int slash = override.indexOf('/');
        if (slash > 0) {
            byte[] net = literal(override.substring(0, slash), override);
            int bits = Integer.parseInt(override.substring(slash + 1));
            for (Interface i : interfaces) {
                for (InetAddress a : i.addresses()) {
                    if (i.up() && inSubnet(a.getAddress(), net, bits)) {
                        return a.getHostAddress();
                    }
                }
            }
            throw new IllegalArgumentException(
                    "no interface has an address in " + override + " (" + describe(interfaces) + ")");
        }
        if (isLiteral(override)) {
            return override;
        }
        for (Interface i : interfaces) {
            if (i.name().equals(override)) {
                if (!i.up()) {
                    throw new IllegalArgumentException("interface " + override + " is down");
                }
                return i.addresses().stream()
                        .filter(a -> a instanceof Inet4Address)
                        .findFirst()
                        .or(() -> i.addresses().stream().findFirst())
                        .map(InetAddress::getHostAddress)
                        .orElseThrow(() -> new IllegalArgumentException("interface " + override + " has no address"));
            }
        }
        throw new IllegalArgumentException("no interface " + override + " (" + describe(interfaces) + ")");
    }

    static boolean inSubnet(byte[] address, byte[] net, int bits) {
        if (address.length != net.length || bits < 0 || bits > 8 * net.length) {
            return false;
        }
        for (int b = 0; b < bits; b++) {
            int mask = 0x80 >> (b % 8);
            if ((address[b / 8] & mask) != (net[b / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLiteral(String s) {
        return s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (s.contains(":") && s.matches("[0-9a-fA-F:.]+"));
    }

    private static byte[] literal(String s, String whole) {
        if (!isLiteral(s)) {
            throw new IllegalArgumentException("not an address/bits subnet: " + whole);
        }
        try {
            // A literal: getByName parses it without a lookup.
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address/bits subnet: " + whole, e);
        }
    }

    /** This machine's interfaces. */
    public static List<Interface> interfaces() {
        List<Interface> out = new ArrayList<>();
        try {
            for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.add(new Interface(n.getName(), n.isUp(), n.isLoopback(), Collections.list(n.getInetAddresses())));
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list the network interfaces", e);
        }
        return out;
    }

    private static String describe(List<Interface> interfaces) {
        return "interfaces here: "
                + interfaces.stream()
                        .map(i -> i.name() + (i.up() ? "" : " (down)") + " "
                                + i.addresses().stream()
                                        .map(InetAddress::getHostAddress)
                                        .collect(Collectors.joining(",")))
                        .collect(Collectors.joining("; "));
    }
}
