package org.refconv.train;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.refconv.dist.CollectiveBackend;
import org.refconv.dist.Collectives;
import org.refconv.dist.FreePort;
import org.refconv.dist.GroupToken;
import org.refconv.dist.RendezvousAddress;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The body of each task of the training barrier stage: task i is rank i. Rank 0's host and a free port are
 * exchanged once with {@code allGather} (it polls with a 1 s sleep: never per step), then the ranks rendezvous
 * through a c10d TCPStore and train.
 */
final class RankTask extends AbstractFunction1<Iterator<Integer>, Iterator<RankTrainer.Result>>
        implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Duration COLLECTIVE_TIMEOUT = Duration.ofMinutes(10);

    private final TrainConfig config;
    private final Map<String, String> hadoopConf;
    /** The driver's submission this task belongs to: its id fences the run folder's writes, its token the group. */
    private final Attempt attempt;

    RankTask(TrainConfig config, Map<String, String> hadoopConf, Attempt attempt) {
        this.config = config;
        this.hadoopConf = hadoopConf;
        this.attempt = attempt;
    }

    @Override
    public Iterator<RankTrainer.Result> apply(Iterator<Integer> ignored) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId();
        int world = ctx.getTaskInfos().length;
        // Never a loopback address when peers are on other hosts (a Debian host's own name is 127.0.1.1).
        String myHost = RendezvousAddress.choose(hostOf(ctx.getTaskInfos()[rank].address()), config.rankAddress());
        // Every rank names its JVM; rank 0 adds the store's address.
        String[] all = ctx.allGather(jvmOf(myHost) + " " + (rank == 0 ? myHost + ":" + FreePort.find() : "-"));
        String master = all[0].substring(all[0].indexOf(' ') + 1);
        int colon = master.lastIndexOf(':');
        Device device = DeviceChoice.forTask(config.device(), ctx.resourcesJMap());
        Engine.requireAvailable(device);
        Placement placement = Placement.decide(config, ranksShareAJvm(all), device);
        Configuration conf = new Configuration();
        hadoopConf.forEach(conf::set);
        AttemptFence fence =
                new AttemptFence(RunLayout.of(config.output()), conf, attempt.id(ctx.stageAttemptNumber()));
        System.out.printf(
                "rank %d/%d of attempt %s on %s, store at %s, device %s%n",
                rank, world, fence.attemptId(), myHost, master, device);
        try (Collectives group = Collectives.connect(
                master.substring(0, colon),
                Integer.parseInt(master.substring(colon + 1)),
                myHost,
                rank,
                world,
                CollectiveBackend.forDevice(device),
                COLLECTIVE_TIMEOUT,
                config.rendezvousTimeout(),
                // This Spark stage attempt's secret authenticates the store's values and the group's members.
                GroupToken.of(attempt.token(ctx.stageAttemptNumber())))) {
            RankTrainer.Result result = new RankTrainer(config, group, device, conf, placement, fence).run();
            return CollectionConverters.asScala(List.of(result).iterator());
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + " failed: " + e.getMessage(), e);
        }
    }

    /** This JVM as the other ranks can tell it apart: process id and host. */
    private static String jvmOf(String host) {
        return ProcessHandle.current().pid() + "@" + host;
    }

    /** Whether two of the gathered "jvm rest" messages come from one JVM (local mode, or two tasks per executor). */
    static boolean ranksShareAJvm(String[] gathered) {
        return Arrays.stream(gathered)
                        .map(m -> m.substring(0, m.indexOf(' ')))
                        .distinct()
                        .count()
                < gathered.length;
    }

    private static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        return colon > 0 ? address.substring(0, colon) : address;
    }
}
