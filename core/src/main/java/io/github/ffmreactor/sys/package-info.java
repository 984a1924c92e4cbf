/**
 * The raw bindings: one class per OS API, errno, struct layouts. Not exported.
 *
 * <p>This is the one layer allowed native access: only here is the {@code Linker} used, a symbol
 * looked up or a segment reinterpreted, so only here may a method carry
 * {@code @SuppressWarnings("restricted")} (javac's {@code -Xlint:restricted}, which the build turns
 * into an error). Each such method keeps the restricted call small and sizes a reinterpreted
 * segment from a length it computed; a test fails if the suppression appears in any other package.
 */
package io.github.ffmreactor.sys;
