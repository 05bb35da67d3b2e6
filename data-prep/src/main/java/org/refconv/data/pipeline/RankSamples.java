package org.refconv.data.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;

/**
 * The samples of one rank for one epoch, in order: its row groups are read a window at a time and the rows of
 * a window are shuffled together (the shards are already globally shuffled, this re-mixes them every epoch).
 * Memory: one window of encoded images.
 */
final class RankSamples implements Iterator<Sample> {
  private final Configuration conf;
  private final List<RowGroupRef> rowGroups;
  private final int window;
  private final long seed;
  private final long limit;
  private final List<Sample> buffer = new ArrayList<>();
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
      loadWindow();
    }
    delivered++;
    return buffer.get(position++);
  }

  private void loadWindow() {
    if (nextGroup == rowGroups.size()) {
      throw new IllegalStateException("rank ran out of rows before its " + limit + " samples");
    }
    buffer.clear();
    position = 0;
    int end = Math.min(rowGroups.size(), nextGroup + window);
    try {
      for (; nextGroup < end; nextGroup++) {
        buffer.addAll(ShardFiles.read(conf, rowGroups.get(nextGroup)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Collections.shuffle(buffer, new Random(Seeds.mix(seed, windowIndex++)));
  }
}
