package org.refconv.testbed;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.refconv.dist.CollectiveBackend;
import org.refconv.dist.Collectives;
import org.refconv.dist.GroupToken;
import org.refconv.dist.RendezvousAddress;
import org.refconv.engine.Tensors;

/**
 * One rank of a 2-rank Gloo group, run on a test bed host: {@code RendezvousProbe RANK STORE_HOST PORT MODE} where
 * MODE "choose" binds the address {@link RendezvousAddress} picks for this host's name and "name" binds the host
 * name itself (127.0.1.1 on a Debian host). Rank 0 advertises what it binds. Prints "SUM 3.0" after an all-reduce
 * of rank + 1, or "FAILED message" (exit 1).
 */
public final class RendezvousProbe {
    private RendezvousProbe() {}

    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]);
        String storeHost = args[1];
        int port = Integer.parseInt(args[2]);
        String name = InetAddress.getLocalHost().getHostName();
        String local = args[3].equals("choose") ? RendezvousAddress.choose(name, null) : name;
        System.out.println("LOCAL " + name + " " + local);
        try (Collectives c = Collectives.connect(
                rank == 0 ? local : storeHost,
                port,
                local,
                rank,
                2,
                CollectiveBackend.GLOO,
                Duration.ofSeconds(60),
                Duration.ofSeconds(Long.getLong("rendezvous.seconds", 20)),
                // Both probes derive the token from the port they are given: a probe of addresses, not of secrets.
                GroupToken.of(String.format("rendezvous-probe-%016d", port).getBytes(StandardCharsets.UTF_8)))) {
            Tensor t = Tensors.fromFloats(new float[] {rank + 1}, 1);
            c.allReduceSum(List.of(t));
            System.out.println("SUM " + Tensors.toFloats(t)[0]);
        } catch (RuntimeException e) {
            System.out.println("FAILED " + e.getMessage());
            System.exit(1);
        }
    }
}
