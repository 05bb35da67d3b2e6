package org.refconv.data.layout;

import java.io.Serializable;

/**
 * One input image as a layout lists it.
 *
 * @param key path relative to the dataset root (the Parquet {@code key} column)
 * @param uri absolute Hadoop URI of the file
 * @param label index of {@code wnid} in sorted-wnid order
 * @param bytes file length, used to size shards before anything is decoded
 */
public record ImageEntry(String key, String uri, String wnid, int label, long bytes) implements Serializable {}
