"""Export the generator of a training checkpoint as a small bare state dict.

    python tools/export_generator.py work_dirs/default_lite_stage6/iter_1500.pth \\
        mmrestore/model_zoo/default_lite.pth [--fp16]

Keeps the ``generator_ema.`` tensors (else ``generator.``), without optimizer state or
prefixes: what ``tools/restore_video.py --checkpoint`` and ``load_generator`` read.

    python tools/export_generator.py work_dirs/default_lite_spynet/iter_1000.pth \
        work_dirs/default_lite_spynet/spynet.pth --spynet

writes only the SPyNet of a checkpoint (of ``SPyNetFlowEstimator``, ``spynet.*``, or of
a generator, ``basicvsr.spynet.*``) in the format of ``spynet_pretrained``.
"""
import os
import sys

from mmrestore.cli import OneLineParser, run_main
from mmrestore.errors import ModelLoadError


def main():
    parser = OneLineParser(prog='export_generator.py', description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='MMagic runner checkpoint (iter_N.pth)')
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--fp16', action='store_true', help='store float16 tensors')
    parser.add_argument('--spynet', action='store_true',
                        help='export the SPyNet weights only (for spynet_pretrained)')
    args = parser.parse_args()
    if not os.path.isfile(args.checkpoint):
        parser.error(f'checkpoint not found: {args.checkpoint}')
    return run_main('export_generator.py', export, args)


def export(args):
    import torch

    from mmrestore.models import extract_generator_state
    from mmrestore.utils import load_checkpoint_file
    try:
        state, prefix = extract_generator_state(load_checkpoint_file(args.checkpoint))
    except (OSError, TypeError, RuntimeError, EOFError) as err:
        raise ModelLoadError(f'cannot read {args.checkpoint}: {err}') from None
    if args.spynet:
        state, prefix = spynet_state(state, prefix)
    if not prefix:
        raise ModelLoadError(f'no {"SPyNet" if args.spynet else "generator"} tensors in '
                             f'{args.checkpoint}')
    state = {k: (v.half() if args.fp16 and v.is_floating_point() else v).clone()
             for k, v in state.items()}
    tmp = f'{args.out}.partial'
    torch.save(state, tmp)
    os.replace(tmp, args.out)
    print(f'{len(state)} tensors ({prefix}*) -> {args.out} '
          f'({os.path.getsize(args.out) / 2**20:.1f} MiB)')


def spynet_state(state, prefix):
    """The SPyNet tensors of a generator or ``SPyNetFlowEstimator`` state dict, without
    their prefix and the input normalisation buffers (``spynet_pretrained`` format)."""
    for head in ('basicvsr.spynet.', 'spynet.'):
        sub = {k[len(head):]: v for k, v in state.items()
               if k.startswith(head) and k[len(head):] not in ('mean', 'std')}
        if sub:
            return sub, prefix + head
    return {}, ''


if __name__ == '__main__':
    sys.exit(main())
