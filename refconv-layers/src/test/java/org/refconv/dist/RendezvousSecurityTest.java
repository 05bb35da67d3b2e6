package org.refconv.dist;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Tensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rendezvous against a foreign process on the same host (real TCPStore and Gloo on loopback): the store listens on
 * rank 0's address only, foreign clients of the store port change nothing and do not make the group hang, and what
 * does not prove the attempt's token (a group member, a store value) is refused.
 */
class RendezvousSecurityTest {

    /** Linux routes all of 127/8 to the loopback device: a socket on every interface answers here too. */
    private static final String OTHER_LOCAL_ADDRESS = "127.0.0.2";

    @Test
    void theStoreListensOnRankZerosAddressOnly() throws Exception {
        int port = FreePort.find();
        List<boolean[]> reached = ranks(port, GroupToken.random(), 0, c -> {
            if (c.rank() == 0) {
                return new boolean[] {connects("127.0.0.1", port), connects(OTHER_LOCAL_ADDRESS, port)};
            }
            return new boolean[0];
        });
        assertTrue(reached.get(0)[0], "the store does not answer on its own address");
        assertTrue(!reached.get(0)[1], "the store answers on " + OTHER_LOCAL_ADDRESS + ": it listens on every address");
    }

    @Test
    void foreignClientsOfTheStorePortChangeNothing() throws Exception {
        int port = FreePort.find();
        GroupToken token = GroupToken.random();
        ExecutorService foreign = Executors.newSingleThreadExecutor();
        Socket silent = new Socket();
        try {
            // Rank 1 comes 3 s late, so the foreign client acts during the rendezvous.
            Future<Integer> scans = foreign.submit(() -> {
                awaitListening(port);
                silent.connect(new InetSocketAddress("127.0.0.1", port)); // opened, never speaks, held to the end
                return foreignClient(port);
            });
            List<float[]> out = assertTimeoutPreemptively(
                    Duration.ofSeconds(90),
                    () -> ranks(port, token, 3000, c -> {
                        Tensor t = Tensors.fromFloats(new float[] {c.rank() + 1, 10}, 2);
                        c.allReduceSum(List.of(t));
                        c.store().set("mark/" + c.rank(), ("rank " + c.rank()).getBytes(StandardCharsets.UTF_8));
                        byte[] other = c.store().get("mark/" + (1 - c.rank()));
                        assertEquals("rank " + (1 - c.rank()), new String(other, StandardCharsets.UTF_8));
                        return Tensors.toFloats(t);
                    }));
            assertArrayEquals(new float[] {3, 20}, out.get(0));
            assertArrayEquals(new float[] {3, 20}, out.get(1));
            assertTrue(scans.get() >= 200, "the foreign client did not run: " + scans.get());
        } finally {
            silent.close();
            foreign.shutdownNow();
        }
    }

    /** A member of the group that does not hold the token (it got in through the store) is refused by every rank. */
    @Test
    void aMemberWithoutTheTokenIsRefused() throws Exception {
        GroupToken token = GroupToken.random();
        GroupToken foreign = GroupToken.random();
        List<String> refusals = ranks(FreePort.find(), token, 0, c -> {
            GroupAuthenticationException e = assertThrows(
                    GroupAuthenticationException.class, () -> GroupProof.check(c, c.rank() == 1 ? foreign : token));
            return e.getMessage();
        });
        assertTrue(refusals.get(0).contains("rank(s) [1] did not prove"), refusals.get(0));
        assertTrue(refusals.get(1).contains("rank(s) [0] did not prove"), refusals.get(1));
    }

    /** A value written by a store client without the token, or moved from another key, is refused when read. */
    @Test
    void storeValuesWithoutTheirMacAreRefused() throws Exception {
        int port = FreePort.find();
        GroupToken token = GroupToken.random();
        List<List<String>> out = ranks(port, token, 0, c -> {
            List<String> refused = new ArrayList<>();
            if (c.rank() == 0) {
                c.store().set("beat/0", new byte[] {1, 2, 3});
                // A foreign client that listed the keys and so knows the prefix writes without the token.
                TCPStore client = client(port);
                client.set(token.keyPrefix() + "/beat/1", new ByteVector(new byte[40]));
                byte[] signedByAnotherToken = signed(GroupToken.random(), "beat/2", new byte[] {9});
                client.set(token.keyPrefix() + "/beat/2", new ByteVector(signedByAnotherToken));
                ByteVector copied = client.get(token.keyPrefix() + "/beat/0");
                client.set(token.keyPrefix() + "/beat/3", copied);
                client.set(token.keyPrefix() + "/beat/4", new ByteVector(new byte[] {7}));
                for (String key : List.of("beat/1", "beat/2", "beat/3", "beat/4")) {
                    try {
                        c.store().get(key);
                    } catch (GroupAuthenticationException e) {
                        refused.add(key);
                    }
                }
                assertArrayEquals(new byte[] {1, 2, 3}, c.store().get("beat/0"));
                client.close();
            }
            c.barrier();
            return refused;
        });
        assertEquals(List.of("beat/1", "beat/2", "beat/3", "beat/4"), out.get(0));
    }

    @Test
    void aTokenIsLongEnoughAndNeverShown() {
        assertThrows(IllegalArgumentException.class, () -> GroupToken.of(new byte[15]));
        GroupToken t = GroupToken.of(new byte[16]);
        assertEquals("GroupToken", t.toString());
        assertTrue(!GroupToken.random().keyPrefix().equals(GroupToken.random().keyPrefix()));
    }

    /** What {@link SignedStore#set} writes, computed here from the definition: value, then its HMAC-SHA256. */
    private static byte[] signed(GroupToken token, String key, byte[] value) {
        byte[] mac = token.mac("store value", key.getBytes(StandardCharsets.UTF_8), value);
        byte[] out = new byte[value.length + mac.length];
        System.arraycopy(value, 0, out, 0, value.length);
        System.arraycopy(mac, 0, out, value.length, mac.length);
        return out;
    }

    /** Port scans, garbage and a c10d client writing every key Gloo or the project might use, without the prefix. */
    private static int foreignClient(int port) throws IOException {
        int done = 0;
        Random random = new Random(7);
        for (int i = 0; i < 150; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                done++;
            }
        }
        for (int i = 0; i < 50; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                byte[] junk = new byte[1 + random.nextInt(200)];
                random.nextBytes(junk);
                OutputStream o = s.getOutputStream();
                o.write(junk);
                o.flush();
                done++;
            } catch (IOException e) {
                done++; // the store hung up on garbage: what it should do
            }
        }
        TCPStore client = client(port);
        for (String key : List.of("0", "1", "rank_0", "rank_1", "/0", "/1", "default_pg/0//0", "mark/0", "mark/1")) {
            client.set(key, new ByteVector("127.0.0.1:1".getBytes(StandardCharsets.UTF_8)));
            done++;
        }
        client.close();
        return done;
    }

    private static TCPStore client(int port) {
        TCPStoreOptions o = new TCPStoreOptions();
        o.port((short) port);
        o.isServer(false);
        o.waitWorkers(false);
        o.useLibUV(false);
        o.timeout(new Milliseconds(10_000));
        return new TCPStore("127.0.0.1", o);
    }

    private static void awaitListening(int port) throws InterruptedException {
        while (!connects("127.0.0.1", port)) {
            Thread.sleep(20);
        }
    }

    private static boolean connects(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Two ranks on 127.0.0.1 as threads, rank 1 joining {@code lateMs} after rank 0. */
    private static <T> List<T> ranks(int port, GroupToken token, long lateMs, Function<Collectives, T> body)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    if (rank == 1) {
                        Thread.sleep(lateMs);
                    }
                    try (Collectives c = Collectives.connect(
                            "127.0.0.1",
                            port,
                            "127.0.0.1",
                            rank,
                            2,
                            CollectiveBackend.GLOO,
                            Duration.ofSeconds(60),
                            Duration.ofSeconds(30),
                            token)) {
                        return body.apply(c);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
