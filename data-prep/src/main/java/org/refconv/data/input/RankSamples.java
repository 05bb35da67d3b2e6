package org.refconv.data.input;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.hadoop.conf.Configuration;

/**
 * The samples of one rank for one epoch, in order: its row groups are read a window at a time and the rows of
 * a window are shuffled together (the shards are already globally shuffled, this re-mixes them every epoch).
 * The next window is read on a background thread while this one is consumed: a window is several row groups, tens
 * of MB from HDFS for ImageNet, and the training thread would otherwise wait for it every few steps. Memory: two
 * windows of encoded images. Close it to stop the reader.
 */
final class RankSamples implements Iterator<Sample>, AutoCloseable {
    private final Configuration conf;
    private final List<RowGroupRef> rowGroups;
    private final int window;
    private final long seed;
    private final long limit;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "refconv-read");
        t.setDaemon(true);
        return t;
    });
    private List<Sample> buffer = List.of();
    /** The window after {@code buffer}, being read; null when none is needed or all row groups are taken. */
    private CompletableFuture<List<Sample>> ahead;

    private int nextGroup;
    private int windowIndex;
    private int position;
    private long delivered;

    RankSamples(Configuration conf, List<RowGroupRef> rowGroups, int window, long seed, long limit) {
        this.conf = conf;
        this.rowGroups = rowGroups;
        this.window = window;
        this.seed = seed;
        this.limit = limit;
    }

    @Override
    public boolean hasNext() {
        return delivered < limit;
    }

    @Override
    public Sample next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        while (position == buffer.size()) {
            buffer = takeWindow();
            position = 0;
        }
        delivered++;
        return buffer.get(position++);
    }

    /** The next window (read ahead, or read now for the first one), and starts reading the one after it. */
    private List<Sample> takeWindow() {
        CompletableFuture<List<Sample>> next = ahead != null ? ahead : startWindow();
        ahead = null;
        List<Sample> rows;
        try {
            rows = next.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (nextGroup < rowGroups.size() && delivered + rows.size() < limit) {
            ahead = startWindow();
        }
        return rows;
    }

    /** Takes the next window's row groups and seed here, in order, so the rows do not depend on thread timing. */
    private CompletableFuture<List<Sample>> startWindow() {
        if (nextGroup == rowGroups.size()) {
            throw new IllegalStateException("rank ran out of rows before its " + limit + " samples");
        }
        List<RowGroupRef> groups = rowGroups.subList(nextGroup, Math.min(rowGroups.size(), nextGroup + window));
        nextGroup += groups.size();
        long windowSeed = Seeds.mix(seed, windowIndex++);
        return CompletableFuture.supplyAsync(() -> read(groups, windowSeed), reader);
    }

    private List<Sample> read(List<RowGroupRef> groups, long windowSeed) {
        List<Sample> rows = new ArrayList<>();
        try {
            for (RowGroupRef group : groups) {
                rows.addAll(ShardFiles.read(conf, group));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Collections.shuffle(rows, new Random(windowSeed));
        return rows;
    }

    @Override
    public void close() {
        reader.shutdownNow();
    }
}
