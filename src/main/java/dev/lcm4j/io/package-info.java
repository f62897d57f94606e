/**
 * File formats shared with the Python reference implementation, read and written in pure Java so that no libtorch
 * or Python is needed: PyTorch checkpoints ({@link dev.lcm4j.io.TorchFile}, tensors as
 * {@link dev.lcm4j.io.StoredTensor}) and NumPy arrays ({@link dev.lcm4j.io.Npy}). Every write goes through
 * {@link dev.lcm4j.io.AtomicFiles}; every malformed input becomes a one-line {@link dev.lcm4j.LcmException} naming
 * the file.
 */
package dev.lcm4j.io;
