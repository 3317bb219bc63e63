"""The contract between a sequence generator and a streaming runner (the fast path)."""
from abc import ABCMeta, abstractmethod


class StreamingGenerator(metaclass=ABCMeta):
    """Mixin of generators that can restore a long video in overlapping passes cheaply.

    A runner (``mmrestore.apis.SequenceRunner``) restores a video with passes of a few
    frames that overlap their neighbours. A generator with this interface lets it reuse
    the per-frame work of the previous pass over the overlap, and says which of its
    sub-networks are worth ``torch.compile``. The runner knows nothing else about the
    generator: a generator without the interface is run the plain way, ``model(lqs)``
    per pass, and compiled whole.

    The reuse cache is a ``dict`` the runner creates empty, keeps between the calls of a
    run and may clear at any time (clearing costs recomputation, never correctness); its
    content is the generator's business, written by :meth:`forward_cached` and trimmed
    by :meth:`prune_cache`.
    """

    @abstractmethod
    def forward_cached(self, lqs, keys, cache):
        """Restore a pass as ``forward`` does, reusing the work of earlier passes.

        Args:
            lqs (Tensor): LQ frames ``(1, t, 3, H, W)`` in [0, 1].
            keys (list[int]): the frames' indices in the video, consecutive; equal keys
                must mean equal frames (within one run of the cache).
            cache (dict): the reuse cache, read and filled here.

        Returns:
            Tensor: outputs ``(1, t, 3, H', W')``, those of ``forward(lqs)`` up to the
            float rounding of differently batched operations. A cached value must depend
            on its own frames only, so that a run started at a later frame (a resume, a
            rank of a multi-process run) gives the same frames bit for bit.
        """

    @abstractmethod
    def prune_cache(self, cache, first_key):
        """Drop from ``cache`` what no later pass can use.

        The runner calls it before each pass; passes come in order, so a pass that
        starts at ``first_key`` needs nothing of frames before it. What the pass can
        reuse (everything about frames ``>= first_key``) must stay.

        Args:
            cache (dict): the reuse cache, pruned in place.
            first_key (int): ``keys[0]`` of the next pass.
        """

    @abstractmethod
    def compile_parts(self):
        """The sub-networks worth ``torch.compile``, in place and with fixed shapes.

        Generators loop over time in Python, so compiling the whole forward would
        unroll the loop and recompile it for every pass length; the per-frame
        convolutional pieces that carry the work are compiled instead.

        Returns:
            list[tuple[str, nn.Module]]: ``(name, module)`` pairs, ``name`` as in
            ``named_modules()`` (so ``get_submodule(name) is module``).
        """
