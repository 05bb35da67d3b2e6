package org.refconv.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.engine.Modules;
import org.refconv.io.HadoopFiles;
import org.refconv.layers.ConvFactory;
import org.refconv.models.ModelZoo;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On a real HDFS whose umask (000) lets everyone write what is created, a published version (folder, model, card)
 * and LATEST are readable by all and writable by their owner only.
 */
class ModelRegistryPermissionsTest {

    private static MiniDFSCluster dfs;
    private static Configuration conf;
    private static String hdfs;

    @BeforeAll
    static void startHdfs() throws Exception {
        Path base = Files.createDirectories(
                Path.of("target", "it-registry-permissions").toAbsolutePath());
        conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("dfs").toString());
        conf.set("fs.permissions.umask-mode", "000");
        dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();
        hdfs = dfs.getFileSystem().getUri().toString();
    }

    @AfterAll
    static void stop() {
        if (dfs != null) {
            dfs.shutdown();
        }
    }

    @Test
    void publishedFilesAndFoldersAreNotWritableByOthers() throws Exception {
        FileSystem fs = new org.apache.hadoop.fs.Path(hdfs).getFileSystem(conf);
        // The reference: what this cluster gives a file and a folder created without explicit permissions.
        org.apache.hadoop.fs.Path plainDir = new org.apache.hadoop.fs.Path(hdfs + "/plain/dir");
        fs.mkdirs(plainDir);
        fs.create(new org.apache.hadoop.fs.Path(plainDir, "file")).close();
        assertEquals(0777, fs.getFileStatus(plainDir).getPermission().toShort());
        assertEquals(
                0666,
                fs.getFileStatus(new org.apache.hadoop.fs.Path(plainDir, "file"))
                        .getPermission()
                        .toShort());

        String root = hdfs + "/models";
        ModelRegistry registry = new ModelRegistry(root, "cifar_quick", conf);
        String staged = registry.stage("v1");
        assertEquals(
                0700,
                fs.getFileStatus(new org.apache.hadoop.fs.Path(staged))
                        .getPermission()
                        .toShort());
        SafeTensors.write(
                Modules.toStateDict(ModelZoo.create("cifar_quick", ConvFactory.plain(), 3, 10, 32)),
                staged + "/" + ModelRegistry.MODEL,
                conf);
        HadoopFiles.writeText(staged + "/" + ModelRegistry.CARD, "{}", conf); // as ModelCard.write does
        registry.commit(staged, "v1");
        registry.promote("v1");

        List<String> seen = new ArrayList<>();
        walk(fs, new org.apache.hadoop.fs.Path(root), seen);
        assertEquals(
                List.of(
                        "/models 755",
                        "/models/cifar_quick 755",
                        "/models/cifar_quick/LATEST 644",
                        "/models/cifar_quick/v1 755",
                        "/models/cifar_quick/v1/model-card.json 644",
                        "/models/cifar_quick/v1/model.safetensors 644"),
                seen);
    }

    private static void walk(FileSystem fs, org.apache.hadoop.fs.Path p, List<String> out) throws Exception {
        FileStatus s = fs.getFileStatus(p);
        out.add(s.getPath().toUri().getPath() + " "
                + Integer.toOctalString(s.getPermission().toShort()));
        if (s.isDirectory()) {
            FileStatus[] children = fs.listStatus(p);
            java.util.Arrays.sort(children);
            for (FileStatus c : children) {
                walk(fs, c.getPath(), out);
            }
        }
    }
}
