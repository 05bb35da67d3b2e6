package org.refconv.data;

import java.nio.file.Path;

import org.apache.spark.sql.SparkSession;

/** The tests' Spark: local[2], scratch space under target/, no UI. One session per test class. */
public final class LocalSpark {
    private LocalSpark() {}

    public static SparkSession start(String name) {
        return SparkSession.builder()
                .master("local[2]")
                .appName(name)
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config(
                        "spark.local.dir",
                        Path.of("target/spark-local").toAbsolutePath().toString())
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }
}
