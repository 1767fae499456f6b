package org.fusekicdc.core;

/**
 * Root of every exception fuseki-cdc throws. Each area has its own subclass so callers can
 * tell a configuration mistake from a storage failure without parsing messages.
 * Messages say what failed, which key or resource, the value seen, and the fix.
 */
public class CdcException extends RuntimeException {
    public CdcException(String message) {
        super(message);
    }

    public CdcException(String message, Throwable cause) {
        super(message, cause);
    }
}
