package org.refconv.testbed;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * A SparkPi-like application for the test bed: estimates pi in N partitions, then shuffles (so that executors fetch
 * blocks from each other's block managers, across hosts), and prints on stdout the host names the tasks ran on, the
 * driver's host and the results ("HOSTS h1,h2", "DRIVER h0", "PI 3.14...", "SHUFFLED 1000"). With a second argument M
 * each task first holds M MB of touched native (direct) memory for a few seconds, outside the JVM heap as libtorch's
 * tensors are. Submitted by {@link TestbedTest} with SparkSubmit to the test bed's standalone master and to YARN.
 */
public final class HostsPi {
    private HostsPi() {}

    public static void main(String[] args) throws Exception {
        int partitions = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int nativeMb = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        int samplesPerPartition = 200_000;
        SparkSession spark = SparkSession.builder().appName("HostsPi").getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            List<Integer> seeds = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                seeds.add(i);
            }
            List<Tuple2<String, Long>> parts = sc.parallelize(seeds, partitions)
                    .map(seed -> {
                        holdNative(nativeMb);
                        SplittableRandom random = new SplittableRandom(seed);
                        long inside = 0;
                        for (int i = 0; i < samplesPerPartition; i++) {
                            double x = random.nextDouble() * 2 - 1;
                            double y = random.nextDouble() * 2 - 1;
                            if (x * x + y * y <= 1) {
                                inside++;
                            }
                        }
                        // Holding each task a moment lets the scheduler use every executor, not the first one.
                        Thread.sleep(500);
                        return new Tuple2<>(InetAddress.getLocalHost().getHostName(), inside);
                    })
                    .collect();
            TreeSet<String> hosts = new TreeSet<>();
            long inside = 0;
            for (Tuple2<String, Long> part : parts) {
                hosts.add(part._1());
                inside += part._2();
            }
            long shuffled = sc.parallelize(seeds, partitions)
                    .flatMap(seed -> {
                        List<Integer> values = new ArrayList<>();
                        for (int i = 0; i < 1000 / partitions; i++) {
                            values.add(seed * 1000 + i);
                        }
                        return values.iterator();
                    })
                    .mapToPair(v -> new Tuple2<>(v % 97, 1))
                    .reduceByKey(Integer::sum, partitions)
                    .values()
                    .reduce(Integer::sum);
            System.out.println("SHUFFLED " + shuffled);
            System.out.println("HOSTS " + String.join(",", hosts));
            System.out.println("DRIVER " + InetAddress.getLocalHost().getHostName());
            System.out.println("PI " + 4.0 * inside / ((long) partitions * samplesPerPartition));
        } finally {
            spark.stop();
        }
    }

    private static void holdNative(int megabytes) throws InterruptedException {
        if (megabytes <= 0) {
            return;
        }
        List<ByteBuffer> held = new ArrayList<>();
        for (int mb = 0; mb < megabytes; mb += 16) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(16 << 20);
            for (int i = 0; i < chunk.capacity(); i += 4096) {
                chunk.put(i, (byte) 1);
            }
            held.add(chunk);
        }
        // Long enough for the NodeManager's container monitor (1 s on the test bed) to see it.
        Thread.sleep(5000);
        held.clear();
    }
}
