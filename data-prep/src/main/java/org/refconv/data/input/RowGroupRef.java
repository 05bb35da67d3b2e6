package org.refconv.data.input;

import java.io.Serializable;

/** One row group of one shard: the unit the reader deals out to ranks. */
public record RowGroupRef(String file, int index, long rows) implements Serializable {}
