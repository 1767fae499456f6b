package org.fusekicdc.fuseki.history;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.history.VersionAtTime;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;

/**
 * What an as-of read asks for and how it is answered: the {@code version} request parameter, or
 * the {@code Accept-Datetime} header (RFC 7089: the last version committed at or before that
 * time); the answer names the version in {@code X-CDC-Version} and its commit time in
 * {@code Memento-Datetime}. A version older than retention reaches gets 410 with the oldest
 * reachable one; a malformed or future one 400, each naming the fix.
 */
public final class AsOf {
    private AsOf() {}

    public static final String PARAM_VERSION = "version";
    public static final String ACCEPT_DATETIME = "Accept-Datetime";
    public static final String MEMENTO_DATETIME = "Memento-Datetime";
    public static final String HDR_VERSION = "X-CDC-Version";
    public static final String HDR_OLDEST = "X-CDC-Oldest-Version";
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    /** Whether the request asks for an earlier state. */
    public static boolean requested(HttpAction action) {
        return action.getRequestParameter(PARAM_VERSION) != null || action.getRequestHeader(ACCEPT_DATETIME) != null;
    }

    /**
     * Begin the read the request asks for, on this thread, and set the answer's version headers;
     * on a bad request, the error response (the call does not return).
     */
    public static AsOfRead open(HttpAction action, DatasetRuntime runtime) {
        ChangeLog log = runtime.log();
        String versionParam = action.getRequestParameter(PARAM_VERSION);
        String datetime = action.getRequestHeader(ACCEPT_DATETIME);
        if ( versionParam != null && datetime != null )
            ServletOps.errorBadRequest("Give either the version parameter or the Accept-Datetime header, not both: version=" + ClientInput.quote(versionParam)
                                       + ", Accept-Datetime: " + ClientInput.quote(datetime));
        long version;
        Instant committed = null;
        if ( versionParam != null ) {
            version = parseVersion(versionParam);
            long head = log.publishedVersion();
            if ( version > head )
                ServletOps.errorBadRequest("Version " + version + " is newer than the newest version of dataset '" + runtime.name() + "' (" + head
                                           + "). Ask for version=" + head + " or older, or leave out version for the current state.");
        } else {
            action.setResponseHeader("Vary", ACCEPT_DATETIME);
            Instant time = parseDatetime(datetime);
            VersionAtTime.Found found = VersionAtTime.at(log, time);
            if ( found == null ) {
                Instant oldestTime = VersionAtTime.commitTime(log, log.firstVersion());
                gone(action, log, "Dataset '" + runtime.name() + "' at " + HTTP_DATE.format(time) + ": the oldest change retention keeps is version "
                                  + log.firstVersion() + ", committed " + HTTP_DATE.format(oldestTime)
                                  + ", and what came before is no longer known. Ask for Accept-Datetime: " + HTTP_DATE.format(oldestTime)
                                  + " or later (see docs/history.md).");
            }
            version = found.version();
            committed = found.committed();
        }
        long oldest = AsOfRead.oldestReachable(log);
        if ( version < oldest )
            gone(action, log, goneMessage(runtime, version, oldest));
        AsOfRead read = null;
        try {
            // The commit time first: once the read has begun, nothing may fail before the caller owns it.
            if ( committed == null && version >= log.firstVersion() )
                committed = VersionAtTime.commitTime(log, version);
            read = AsOfRead.begin(runtime.dataset(), version, AsOfRead.DEFAULT_MAX_CHANGED_QUADS, runtime.historySnapshots());
        } catch (VersionGoneException ex) {
            gone(action, log, goneMessage(runtime, version, ex.oldestAvailable()));
        } catch (NetChange.TooManyChanges ex) {
            ServletOps.error(HttpSC.SERVICE_UNAVAILABLE_503, ex.getMessage());
        }
        action.setResponseHeader(HDR_VERSION, String.valueOf(version));
        if ( committed != null )
            action.setResponseHeader(MEMENTO_DATETIME, HTTP_DATE.format(committed));
        return read;
    }

    private static String goneMessage(DatasetRuntime runtime, long version, long oldest) {
        return "Dataset '" + runtime.name() + "': version " + version + " is older than retention keeps: the oldest version reachable is " + oldest
               + ". Ask for version=" + oldest + " or newer; to reach further back, keep more of the change log (cdc:retainVersions, cdc:retainAge,"
               + " cdc:retainBytes; see docs/history.md).";
    }

    private static void gone(HttpAction action, ChangeLog log, String message) {
        action.setResponseHeader(HDR_OLDEST, String.valueOf(AsOfRead.oldestReachable(log)));
        ServletOps.error(HttpSC.GONE_410, message);
    }

    /** A version number; 400 naming the form otherwise. */
    public static long parseVersion(String s) {
        try {
            long v = Long.parseLong(s.trim());
            if ( v >= 0 )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The version parameter must be a version number (a whole number, 0 or more, as the change feed and X-CDC-Version"
                                   + " give them), got " + ClientInput.quote(s) + ". Leave it out for the current state.");
        return -1;
    }

    private static Instant parseDatetime(String s) {
        try {
            return Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(s.trim()));
        } catch (DateTimeParseException ex) {
            ServletOps.errorBadRequest("The Accept-Datetime header must be an HTTP date (RFC 7089), such as \"" + HTTP_DATE.format(Instant.now())
                                       + "\", got " + ClientInput.quote(s) + ". Leave it out for the current state.");
            return null;
        }
    }

    /** A time as an HTTP date, as Memento-Datetime and Accept-Datetime write it. */
    public static String httpDate(Instant t) {
        return HTTP_DATE.format(t);
    }
}
