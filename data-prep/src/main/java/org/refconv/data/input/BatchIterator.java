package org.refconv.data.input;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * The batches of one rank for one epoch. Rows are read on the caller's thread; every image is decoded and
 * transformed on a worker thread, and up to {@code prefetch} batches are in flight. Each image's random
 * numbers come from (seed, epoch, rank, position), so the output does not depend on thread timing.
 */
public final class BatchIterator implements Iterator<Batch>, AutoCloseable {
    private final RankSamples samples;
    private final InputPipeline.Options options;
    private final long seed;
    private final long total;
    private final long samplesTotal;
    private final ExecutorService workers;
    private final ThreadLocal<SampleDecoder> decoders;
    private final Deque<CompletableFuture<Batch>> inFlight = new ArrayDeque<>();
    private long submitted;
    private long samplesSubmitted;
    private long delivered;
    private long position;

    /** {@code samplesTotal} samples in batches of the pipeline's size, the last one smaller when they do not divide. */
    BatchIterator(RankSamples samples, InputPipeline.Options options, long seed, long samplesTotal) {
        this.samples = samples;
        this.options = options;
        this.seed = seed;
        this.total = (samplesTotal + options.batchSize() - 1) / options.batchSize();
        this.samplesTotal = samplesTotal;
        this.decoders =
                ThreadLocal.withInitial(() -> options.decoder().create(options.transform(), options.normalization()));
        ThreadFactory daemons = r -> {
            Thread t = new Thread(r, "refconv-decode");
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newFixedThreadPool(options.threads(), daemons);
    }

    /** Batches this iterator yields in total (equal on every rank for a training epoch). */
    public long batches() {
        return total;
    }

    @Override
    public boolean hasNext() {
        return delivered < total;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        while (inFlight.size() < options.prefetch() && submitted < total) {
            inFlight.add(submit());
            submitted++;
        }
        delivered++;
        try {
            return inFlight.poll().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private CompletableFuture<Batch> submit() {
        int n = (int) Math.min(options.batchSize(), samplesTotal - samplesSubmitted);
        samplesSubmitted += n;
        int size = options.transform().size();
        int stride = 3 * size * size;
        float[] images = new float[n * stride];
        int[] labels = new int[n];
        String[] keys = new String[n];
        CompletableFuture<?>[] parts = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            Sample s = samples.next();
            labels[i] = s.label();
            keys[i] = s.key();
            long imageSeed = Seeds.mix(seed, position++);
            int offset = i * stride;
            parts[i] =
                    CompletableFuture.runAsync(() -> decoders.get().decodeInto(s, imageSeed, images, offset), workers);
        }
        return CompletableFuture.allOf(parts).thenApply(v -> new Batch(images, labels, keys, size, size));
    }

    @Override
    public void close() {
        workers.shutdownNow();
        samples.close();
    }
}
