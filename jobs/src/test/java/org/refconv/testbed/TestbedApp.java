package org.refconv.testbed;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The RefConv jobs as a test bed application, made from what {@code mvn test} has built (no shaded jar, which only
 * {@code package} makes): our modules' classes in one thin jar, and the libraries Spark does not bring (libtorch and
 * its natives, the image codecs...) staged once on the test bed's HDFS, as a cluster's users stage them, and passed
 * by {@code hdfs://} URI in {@code --jars}: YARN localizes them per host, not per application.
 */
record TestbedApp(Path jar, List<String> libraries) {
    static final String LIBS = "/testbed/app-libs";

    /** {@code --jars} for SparkSubmit. */
    String jars() {
        return String.join(",", libraries);
    }

    static TestbedApp stage(Testbed testbed, Path repo) throws IOException {
        Path classpath = repo.resolve("jobs/target/classpath.txt");
        Set<String> spark = new HashSet<>();
        for (String e : Files.readString(repo.resolve("target/testbed/spark-classpath.txt"))
                .strip()
                .split(":")) {
            spark.add(Path.of(e).getFileName().toString());
        }
        List<Path> classDirs = new ArrayList<>(List.of(repo.resolve("jobs/target/classes")));
        List<Path> ours = new ArrayList<>();
        List<Path> libs = new ArrayList<>();
        for (String e : Files.readString(classpath).strip().split(":")) {
            Path p = Path.of(e);
            if (Files.isDirectory(p)) {
                classDirs.add(p);
            } else if (p.toString().contains("/org/refconv/") || p.startsWith(repo)) {
                ours.add(p);
            } else if (!spark.contains(p.getFileName().toString())) {
                libs.add(p);
            }
        }
        Path jar = repo.resolve("target/testbed/refconv-app.jar");
        thinJar(classDirs, ours, jar);

        Set<String> staged = new HashSet<>(testbed.list(LIBS).keySet());
        List<String> uris = new ArrayList<>();
        List<String> put = new ArrayList<>(List.of("fs", "h1", "-put", "-f"));
        for (Path lib : libs) {
            if (!staged.contains(lib.getFileName().toString())) {
                put.add(lib.toString());
            }
            uris.add("hdfs://h0:8020" + LIBS + "/" + lib.getFileName());
        }
        if (put.size() > 4) {
            check(testbed.script("fs", "h1", "-mkdir", "-p", LIBS));
            put.add(LIBS);
            check(testbed.script(put.toArray(String[]::new)));
            check(testbed.script("fs", "h1", "-chmod", "-R", "a+rX", LIBS));
        }
        return new TestbedApp(jar, uris);
    }

    private static void check(Testbed.Result r) {
        if (r.exitCode() != 0) {
            throw new IllegalStateException("staging the application failed:\n" + r.stderr());
        }
    }

    /** One jar of the class folders and of our modules' jars (the first of two same-named entries wins). */
    private static void thinJar(List<Path> classDirs, List<Path> jars, Path out) throws IOException {
        Files.createDirectories(out.getParent());
        Set<String> seen = new HashSet<>();
        try (OutputStream os = Files.newOutputStream(out);
                JarOutputStream jar = new JarOutputStream(os)) {
            for (Path dir : classDirs) {
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        String name = dir.relativize(f).toString().replace('\\', '/');
                        if (seen.add(name)) {
                            jar.putNextEntry(new JarEntry(name));
                            Files.copy(f, jar);
                            jar.closeEntry();
                        }
                    }
                }
            }
            for (Path j : jars) {
                try (java.util.jar.JarFile in = new java.util.jar.JarFile(j.toFile())) {
                    for (JarEntry e : in.stream().toList()) {
                        if (!e.isDirectory() && !e.getName().startsWith("META-INF/") && seen.add(e.getName())) {
                            jar.putNextEntry(new JarEntry(e.getName()));
                            in.getInputStream(e).transferTo(jar);
                            jar.closeEntry();
                        }
                    }
                }
            }
        }
    }
}
