package org.refconv.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.io.HadoopFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Checkpoints on a real (single-datanode) HDFS: its rename does not overwrite, and files are read remotely. */
class HdfsCheckpointTest {
    private static MiniDFSCluster cluster;
    private static Configuration conf;
    private static FileSystem hdfs;
    private static String root;

    @BeforeAll
    static void startCluster() throws IOException {
        conf = new Configuration();
        Path baseDir =
                Path.of("target", "minidfs-checkpoint-" + UUID.randomUUID()).toAbsolutePath();
        cluster = new MiniDFSCluster.Builder(conf, baseDir.toFile())
                .numDataNodes(1)
                .build();
        cluster.waitActive();
        hdfs = cluster.getFileSystem();
        root = "hdfs://127.0.0.1:" + cluster.getNameNodePort() + "/checkpoints";
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.shutdown(true); // also deletes the base directory
        }
    }

    private static List<String> names(String dir) throws IOException {
        return Arrays.stream(hdfs.listStatus(new org.apache.hadoop.fs.Path(dir)))
                .map(FileStatus::getPath)
                .map(org.apache.hadoop.fs.Path::getName)
                .sorted()
                .toList();
    }

    @Test
    void writesReplacesAndReadsSafetensors() throws IOException {
        String dir = root + "/safetensors";
        String uri = dir + "/small_cnn.safetensors";
        StateDict stateDict = SafeTensors.read(Fixtures.uri("small_cnn.safetensors"), null);
        SafeTensors.write(stateDict, uri, conf);
        assertEquals(stateDict, SafeTensors.read(uri, conf));

        StateDict other = new StateDict().put("w", HostTensor.ofFloats(new long[] {2}, new float[] {1f, 2f}));
        SafeTensors.write(other, uri, null); // HDFS rename does not overwrite: the old file must be replaced
        assertEquals(other, Checkpoints.read(uri, conf));
        assertEquals(List.of("small_cnn.safetensors"), names(dir));
    }

    @Test
    void aFailingWriterLeavesTheOldFileOnHdfs() throws IOException {
        String dir = root + "/failing";
        String uri = dir + "/model.safetensors";
        HadoopFiles.writeAtomically(uri, conf, out -> out.write("old".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(
                IOException.class,
                () -> HadoopFiles.writeAtomically(uri, conf, out -> {
                    out.write("partial".getBytes(StandardCharsets.US_ASCII));
                    throw new IOException("executor lost");
                }));
        try (var in = HadoopFiles.open(uri, conf)) {
            assertEquals("old", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
        assertEquals(List.of("model.safetensors"), names(dir));
    }

    @Test
    void readsATorchCheckpointCopiedToHdfs() throws IOException {
        String uri = root + "/torch/small_cnn.pth";
        hdfs.copyFromLocalFile(
                new org.apache.hadoop.fs.Path(Fixtures.path("small_cnn.pth").toUri()),
                new org.apache.hadoop.fs.Path(uri));
        StateDict local = TorchCheckpoint.read(Fixtures.uri("small_cnn.pth"), null);
        assertEquals(local, TorchCheckpoint.read(uri, conf));
        assertEquals(local, Checkpoints.read(uri, conf));
    }
}
