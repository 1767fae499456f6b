package org.fusekicdc.source.relational;

import org.fusekicdc.core.source.SourceException;

/** A row the mapping cannot turn into RDF; the message says why (the caller adds table and key). */
public class UnmappableRowException extends SourceException {
    public UnmappableRowException(String message) {
        super(message);
    }
}
