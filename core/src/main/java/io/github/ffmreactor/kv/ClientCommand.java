package io.github.ffmreactor.kv;

import java.util.Locale;
/** CLIENT ID / SETNAME / GETNAME / SETINFO: what client libraries send when they connect. */
final class ClientCommand {
    private ClientCommand() {}

    private static final byte[] ID = RespWriter.b("id"), SETNAME = RespWriter.b("setname"),
            GETNAME = RespWriter.b("getname"), SETINFO = RespWriter.b("setinfo"), LIB_NAME = RespWriter.b("lib-name"),
            LIB_VER = RespWriter.b("lib-ver");

    static void run(Call c) {
        if (c.is(1, ID)) {
            if (c.argc != 2) c.arity("client|id");
            else c.out.integer(c.session.id());
        } else if (c.is(1, GETNAME)) {
            if (c.argc != 2) {
                c.arity("client|getname");
                return;
            }
            byte[] n = c.session.name();
            if (n == null) c.out.nil();
            else c.out.bulk(n);
        } else if (c.is(1, SETNAME)) {
            if (c.argc != 3) {
                c.arity("client|setname");
                return;
            }
            byte[] n = c.bytes(2);
            if (!validName(c, n)) return;
            c.session.name(n.length == 0 ? null : n);
            c.ok();
        } else if (c.is(1, SETINFO)) {
            if (c.argc != 4) {
                c.arity("client|setinfo");
            } else if (!c.is(2, LIB_NAME) && !c.is(2, LIB_VER)) {
                c.error("ERR Unrecognized option '" + c.text(2, 128) + "'");
            } else if (!printable(c.bytes(3))) {
                c.error("ERR " + c.text(2, 128).toLowerCase(Locale.ROOT)
                        + " cannot contain spaces, newlines or special characters.");
            } else {
                c.ok(); // kept by Redis for CLIENT LIST, which kv does not have
            }
        } else {
            c.unknownSubcommand("CLIENT");
        }
    }

    /** Redis's rule for a client name: printable ASCII without spaces. False after replying the error. */
    static boolean validName(Call c, byte[] n) {
        if (printable(n)) return true;
        c.error("ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
    }

    private static boolean printable(byte[] n) {
        for (byte b : n) if (b < '!' || b > '~') return false;
        return true;
    }
}
