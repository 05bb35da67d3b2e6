package org.refconv.testbed;

import java.net.InetAddress;
import java.util.List;
import java.util.stream.IntStream;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;

/**
 * For the test bed's GPU scheduling on YARN: N tasks, each printing "GPU host address,..." for the GPU addresses
 * Spark assigned it (from the executor's discovery script, within what YARN granted its container as yarn.io/gpu).
 */
public final class GpuAddresses {
    private GpuAddresses() {}

    public static void main(String[] args) throws Exception {
        int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        SparkSession spark = SparkSession.builder().appName("GpuAddresses").getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            List<String> seen = sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
                    .map(i -> {
                        ResourceInformation gpu =
                                TaskContext.get().resourcesJMap().get("gpu");
                        return InetAddress.getLocalHost().getHostName() + " " + String.join(",", gpu.addresses());
                    })
                    .collect();
            seen.forEach(s -> System.out.println("GPU " + s));
        } finally {
            spark.stop();
        }
    }
}
