package org.refconv.data.layout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Read access to an input tree on any Hadoop file system, with the checks every layout needs (a required file
 * or folder exists, a class folder is not empty) turned into {@link LayoutException}s that name the path.
 */
public final class DatasetTree {
    private final FileSystem fs;
    private final Path root;

    public DatasetTree(FileSystem fs, Path root) {
        this.fs = fs;
        this.root = fs.makeQualified(root);
    }

    public Path root() {
        return root;
    }

    public Path resolve(String relative) {
        return new Path(root, relative);
    }

    public boolean isFile(Path p) {
        try {
            return fs.isFile(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + p, e);
        }
    }

    public Path requireFile(String relative, String what) {
        Path p = resolve(relative);
        if (!isFile(p)) {
            throw LayoutException.at(p, "missing " + what);
        }
        return p;
    }

    public Path requireDirectory(String relative, String what) {
        Path p = resolve(relative);
        try {
            if (!fs.getFileStatus(p).isDirectory()) {
                throw LayoutException.at(p, what + " is not a directory");
            }
        } catch (java.io.FileNotFoundException e) {
            throw LayoutException.at(p, "missing " + what);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + p, e);
        }
        return p;
    }

    /** Visible (not .hidden or _hidden) children, sorted by name. */
    public List<FileStatus> children(Path dir) {
        try {
            FileStatus[] all = fs.listStatus(dir);
            return Arrays.stream(all)
                    .filter(s -> !s.getPath().getName().startsWith(".")
                            && !s.getPath().getName().startsWith("_"))
                    .sorted(Comparator.comparing(s -> s.getPath().getName()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** Sub-folders of {@code dir}; files there are a layout error. */
    public List<FileStatus> classFolders(Path dir) {
        List<FileStatus> folders = new ArrayList<>();
        for (FileStatus s : children(dir)) {
            if (!s.isDirectory()) {
                throw LayoutException.at(s.getPath(), "expected only class folders in " + dir + ", found a file");
            }
            folders.add(s);
        }
        if (folders.isEmpty()) {
            throw LayoutException.at(dir, "no class folders");
        }
        return folders;
    }

    /** Files of an image folder; an empty folder or a nested folder is a layout error. */
    public List<FileStatus> imageFiles(Path dir) {
        List<FileStatus> files = children(dir);
        if (files.isEmpty()) {
            throw LayoutException.at(dir, "empty image folder");
        }
        for (FileStatus s : files) {
            if (s.isDirectory()) {
                throw LayoutException.at(s.getPath(), "unexpected folder inside an image folder");
            }
        }
        return files;
    }

    public String relativeKey(Path p) {
        String r = root.toUri().getPath();
        String f = p.toUri().getPath();
        return f.startsWith(r + "/") ? f.substring(r.length() + 1) : f;
    }

    public ImageEntry entry(FileStatus file, String wnid, int label) {
        return new ImageEntry(relativeKey(file.getPath()), file.getPath().toString(), wnid, label, file.getLen());
    }

    public List<String> readLines(Path file) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public byte[] readBytes(Path file) {
        try (InputStream in = fs.open(file)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
