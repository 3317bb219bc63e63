"""Training video from still photographs of Debian wallpaper packages (issue 14).

    python tools/prepare_stills.py --out data/stills [--debs work_dirs/debs] \
        [--sequences 6] [--frames 12] [--size 256] [--seed 20221]

Downloads the Debian packages below with ``apt-get download`` (a preparation step, never
run at training or restore time), unpacks them with ``dpkg -x``, takes the photographs
listed in ``PHOTOS`` (chosen by eye from a contact sheet: photographs only, no drawings or
gradients) and films each with ``--sequences`` synthetic camera paths (pans, zooms, rolls
and shake, sub-pixel speeds included: ``mmrestore.datasets.camera_motion``), each from a
random place and scale (the photo shrunk 1.5-6x), written as PNG frame folders
``<out>/frames/<photo>_<k>/00000000.png ...`` that ``BasicFramesDataset`` reads like REDS
(``configs/default_lite_stage5.py``).
``<out>/SOURCES.md`` lists every photo with its package, path and licence (read from the
package's Debian copyright file). scikit-image's sample images are never used (held out
for evaluation). An existing ``--out`` is refused; the folder appears complete or not at
all.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from mmrestore.cli import OneLineParser, run_main
from mmrestore.datasets.camera_motion import random_camera_path, render_camera_motion
from mmrestore.errors import DataError
from mmrestore.video import write_image

# package -> photographs (paths inside the package)
PHOTOS = {
    'plasma-workspace-wallpapers': [
        f'usr/share/wallpapers/{n}/contents/images/{r}' for n, r in [
            ('BytheWater', '2560x1440.jpg'), ('ColdRipple', '2560x1440.jpg'),
            ('ColorfulCups', '2560x1600.jpg'), ('DarkestHour', '2560x1440.jpg'),
            ('EveningGlow', '2560x1440.jpg'), ('FallenLeaf', '2560x1440.jpg'),
            ('Grey', '2560x1440.jpg'), ('Kite', '2560x1440.jpg'),
            ('OneStandsOut', '2560x1440.jpg'), ('Path', '2560x1440.jpg'),
            ('summer_1am', '2560x1440.jpg')]],
    'mate-backgrounds': [
        f'usr/share/backgrounds/mate/nature/{n}.jpg' for n in [
            'Aqua', 'Blinds', 'Dune', 'FreshFlower', 'Garden', 'GreenMeadow', 'LadyBird',
            'RainDrops', 'Storm', 'TwoWings', 'Wood', 'YellowFlower']],
    'lomiri-wallpapers-20.04': [
        'usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg',
        'usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg'],
}


def fetch(package, debs):
    """Unpacked folder of ``package`` (downloaded into ``debs`` once)."""
    root = debs / package
    if not root.is_dir():
        debs.mkdir(parents=True, exist_ok=True)
        subprocess.run(['apt-get', 'download', package], cwd=debs, check=True)
        deb = sorted(debs.glob(f'{package}_*.deb'))[-1]
        subprocess.run(['dpkg', '-x', str(deb), str(root)], check=True)
    return root


def licence_of(root, package, path):
    """Licence of ``path`` from the package's DEP-5 copyright file (best match)."""
    text = (root / 'usr/share/doc' / package / 'copyright').read_text(errors='replace')
    best, best_len = 'see copyright file', -1
    for block in re.split(r'\n\s*\n', text):
        files = re.search(r'^Files:(.*?)(?=^\S)', block + '\nX', re.S | re.M)
        lic = re.search(r'^License:\s*(\S.*)$', block, re.M)
        if not files or not lic:
            continue
        for pattern in files.group(1).split():
            regex = re.escape(pattern).replace(r'\*', '.*')
            exact = osp.basename(pattern) == osp.basename(path)  # Debian's own dirs
            if (exact or re.search(f'(^|/){regex}$', path)) and len(pattern) > best_len:
                best, best_len = lic.group(1).strip(), len(pattern)
    return best


def main():
    parser = OneLineParser(prog='prepare_stills.py', description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, type=Path)
    parser.add_argument('--debs', type=Path, default=Path('work_dirs/debs'))
    parser.add_argument('--sequences', type=int, default=6, help='paths per photo')
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--seed', type=int, default=20221)
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f'{args.out} exists; remove it or choose another --out')
    return run_main('prepare_stills.py', prepare, args)


def prepare(args):
    rng = np.random.default_rng(args.seed)
    tmp = args.out.with_name(args.out.name + '.partial')
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / 'frames').mkdir(parents=True)
    sources = ['| photo | package | path | licence |', '|---|---|---|---|']
    for package, paths in PHOTOS.items():
        root = fetch(package, args.debs.resolve())
        for path in paths:
            image = cv2.imread(str(root / path), cv2.IMREAD_COLOR)
            if image is None:
                raise DataError(f'cannot read {root / path}')
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            name = re.sub(r"[^A-Za-z0-9]+", "_", Path(path).parents[2].name
                          if 'contents' in path else Path(path).stem)
            sources.append(f'| {name} | {package} | {path} | '
                           f'{licence_of(root, package, path)} |')
            for k in range(args.sequences):
                shrink = float(np.exp(rng.uniform(np.log(1.5), np.log(6))))
                h, w = image.shape[0] / shrink, image.shape[1] / shrink
                margin = args.size * 0.75
                centre = (rng.uniform(margin, max(margin, w - margin)),
                          rng.uniform(margin, max(margin, h - margin)))
                frames = render_camera_motion(image, random_camera_path(rng, args.frames),
                                              args.size, shrink, centre)
                folder = tmp / 'frames' / f'{name}_{k}'
                folder.mkdir()
                for i, frame in enumerate(frames):
                    write_image(folder / f'{i:08d}.png', frame)
            print(f'{name}: {args.sequences} sequences', flush=True)
    (tmp / 'SOURCES.md').write_text('\n'.join(sources) + '\n')
    os.replace(tmp, args.out)
    print(f'done: {len(sources) - 2} photos -> {args.out} (sources: {args.out}/SOURCES.md)')


if __name__ == '__main__':
    sys.exit(main())
