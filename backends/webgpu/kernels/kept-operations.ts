/**
 * The primitives' WGSL expressions (elementwise.ts) as functions over float32 bits, for the fused kernels
 * (custom.ts, cross-entropy.ts) that evaluate a composition's operations in one shader.
 *
 * Separate dispatches store each intermediate result; one shader does not, and a shader compiler may then
 * contract a product and the sum that uses it into one fused multiply-add (GLSL, which Dawn's OpenGL ES backend
 * hands on, allows it for any expression not declared `precise`) or otherwise rearrange across operations.
 * So every intermediate result passes through `kept`: an exclusive-or with parameter word 1, which is zero at
 * run time and unknown when the shader is compiled, so the next operation sees an opaque value, as after a load.
 * A kernel that uses these passes 0 as its parameter word 1.
 */
import { BINARY, UNARY, clipBits } from './elementwise.js';

export const KEPT_OPERATIONS_WGSL = /* wgsl */ `
fn kept(x: u32) -> u32 { return x ^ p(1u); }
fn add_(a: u32, b: u32) -> u32 { return kept(${BINARY.add}); }
fn sub_(a: u32, b: u32) -> u32 { return kept(${BINARY.sub}); }
fn mul_(a: u32, b: u32) -> u32 { return kept(${BINARY.mul}); }
fn div_(a: u32, b: u32) -> u32 { return kept(${BINARY.div}); }
fn greater_equal_(a: u32, b: u32) -> u32 { return ${BINARY.greaterEqual}; }
fn neg_(a: u32) -> u32 { return ${UNARY.neg}; }
fn exp_(a: u32) -> u32 { return kept(${UNARY.exp}); }
fn log_(a: u32) -> u32 { return kept(${UNARY.log}); }
fn sqrt_(a: u32) -> u32 { return kept(${UNARY.sqrt}); }
fn sign_(a: u32) -> u32 { return kept(${UNARY.sign}); }
fn clip_(a: u32, lo: u32, hi: u32) -> u32 { return ${clipBits('a', 'lo', 'hi')}; }
`;
