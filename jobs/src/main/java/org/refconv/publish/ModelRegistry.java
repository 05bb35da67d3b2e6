package org.refconv.publish;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.refconv.io.HadoopFiles;

/**
 * The published models of one architecture under {@code <root>/<model>/}: one folder per version holding
 * {@code model.safetensors} and {@code model-card.json}, and a {@code LATEST} file naming the promoted version.
 *
 * <p>Commit protocol: a version is written into a hidden sibling {@code .<version>.tmp-<uuid>/}, the card last,
 * then renamed to {@code <version>/} in one step; {@code LATEST} is replaced atomically after that, and only when
 * the version is promoted. So a folder {@code <version>/} is always complete, {@code LATEST} always names one, and a
 * publish killed at any point leaves the previous {@code LATEST} and its version untouched.
 */
public final class ModelRegistry {

    public static final String LATEST = "LATEST";
    public static final String MODEL = "model.safetensors";
    public static final String CARD = "model-card.json";
    private static final String TEMP_INFIX = ".tmp-";
    /**
     * Published folders and files: everyone may read, only the publisher writes. Set explicitly, since a cluster's
     * umask may let the group or others write (HDFS applies no umask to setPermission).
     */
    public static final FsPermission FOLDER = new FsPermission((short) 0755);

    public static final FsPermission FILE = new FsPermission((short) 0644);
    /** A version being written: nobody else may look inside until its files carry their final permissions. */
    static final FsPermission STAGING = new FsPermission((short) 0700);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String dir;
    private final Configuration conf;
    private final FileSystem fs;

    public ModelRegistry(String root, String model, Configuration conf) throws IOException {
        this.dir = root + "/" + model;
        this.conf = conf;
        this.fs = HadoopFiles.fileSystem(new Path(dir), conf);
    }

    public String dir() {
        return dir;
    }

    public String versionUri(String version) {
        return dir + "/" + version;
    }

    /** A version folder exists; by the commit protocol it is then complete. */
    public boolean exists(String version) throws IOException {
        return fs.exists(new Path(versionUri(version), CARD));
    }

    /** The promoted version, if any. */
    public Optional<String> latest() throws IOException {
        return HadoopFiles.readText(dir + "/" + LATEST, conf).map(String::strip).filter(v -> !v.isEmpty());
    }

    public JsonNode card(String version) throws IOException {
        try (InputStream in = HadoopFiles.open(versionUri(version) + "/" + CARD, conf)) {
            return JSON.readTree(in);
        }
    }

    /** Deletes the temporary folders of earlier, interrupted publishes of {@code version}; returns them. */
    public List<String> discardStale(String version) throws IOException {
        List<String> stale = new ArrayList<>();
        Path d = new Path(dir);
        if (!fs.exists(d)) {
            return stale;
        }
        for (FileStatus s : fs.listStatus(d)) {
            if (s.getPath().getName().startsWith("." + version + TEMP_INFIX)) {
                fs.delete(s.getPath(), true);
                stale.add(s.getPath().toString());
            }
        }
        return stale;
    }

    /** A fresh hidden folder to write {@code version} into. */
    public String stage(String version) throws IOException {
        ensureFolder(new Path(dir));
        Path temp = new Path(
                dir, "." + version + TEMP_INFIX + UUID.randomUUID().toString().substring(0, 8));
        if (!fs.mkdirs(temp)) {
            throw new IOException("cannot create " + temp);
        }
        fs.setPermission(temp, STAGING);
        return temp.toString();
    }

    /** Renames the staged folder (which must hold the card) to the version's folder. */
    public void commit(String staged, String version) throws IOException {
        if (!fs.isFile(new Path(staged, CARD))) {
            throw new IllegalStateException("refusing to commit " + staged + " without " + CARD);
        }
        Path target = new Path(versionUri(version));
        if (fs.exists(target)) {
            // HDFS would move the folder inside an existing one: never overwrite a published version.
            throw new IOException(target + " already exists: versions are immutable, pick another version name");
        }
        for (FileStatus f : fs.listStatus(new Path(staged))) {
            fs.setPermission(f.getPath(), f.isDirectory() ? FOLDER : FILE);
        }
        fs.setPermission(new Path(staged), FOLDER);
        if (!fs.rename(new Path(staged), target)) {
            throw new IOException("cannot rename " + staged + " to " + target);
        }
    }

    /** Points {@code LATEST} at {@code version} (an atomic replace: readers see the old or the new name). */
    public void promote(String version) throws IOException {
        if (!exists(version)) {
            throw new IllegalStateException(
                    "cannot promote " + version + ": " + versionUri(version) + "/" + CARD + " does not exist");
        }
        HadoopFiles.writeText(dir + "/" + LATEST, version + "\n", conf, FILE);
    }

    /** Creates {@code folder} and its missing parents, each readable by all and writable by its owner only. */
    private void ensureFolder(Path folder) throws IOException {
        if (folder == null || fs.exists(folder)) {
            return;
        }
        ensureFolder(folder.getParent());
        fs.mkdirs(folder);
        fs.setPermission(folder, FOLDER);
    }

    public void discard(String staged) throws IOException {
        fs.delete(new Path(staged), true);
    }
}
