package org.refconv.data.input;

/** One row as the reader needs it: the encoded image, its label and its key (for tracing). */
public record Sample(String key, int label, byte[] jpeg) {}
