"""MMagic's perceptual loss with VGG weights read from a local file (never downloaded)."""
import os.path as osp

import torch
import torch.nn as nn
import torchvision.models.vgg as tv_vgg

from mmagic.models.losses import PerceptualLoss
from mmagic.models.losses.perceptual_loss import PerceptualVGG
from mmagic.registry import MODELS

# torchvision's layer configurations of the VGG types
_VGG_CFG = dict(vgg11='A', vgg13='B', vgg16='D', vgg19='E')


def load_vgg_features(vgg_type, pretrained, num_layers):
    """Build ``vgg.features[:num_layers]`` and fill it from a local weights file.

    Args:
        vgg_type (str): 'vgg11', 'vgg13', 'vgg16', 'vgg19' (or with '_bn').
        pretrained (str): A torchvision VGG state dict (e.g. ``vgg19-dcbb9e9d.pth``),
            a state dict of ``features`` only (with or without the ``features.``
            prefix) or an MMEngine checkpoint holding one under ``state_dict``.
        num_layers (int): Number of feature layers to keep.

    Returns:
        nn.Sequential: The first ``num_layers`` layers of ``vgg.features``.
    """
    if not isinstance(pretrained, str) or not osp.isfile(pretrained):
        raise FileNotFoundError(
            f'VGG weights for the perceptual loss not found: {pretrained!r} (set the '
            'local file in the config; nothing is downloaded)')
    name = vgg_type.replace('_bn', '')
    if name not in _VGG_CFG:
        raise ValueError(f'unknown vgg_type {vgg_type!r}')
    features = tv_vgg.make_layers(
        tv_vgg.cfgs[_VGG_CFG[name]], batch_norm=vgg_type.endswith('_bn'))
    if num_layers > len(features):
        raise ValueError(f'{vgg_type} has {len(features)} feature layers, '
                         f'{num_layers} requested')
    features = features[:num_layers]

    state = torch.load(pretrained, map_location='cpu', weights_only=True)
    state = state.get('state_dict', state)
    if any(k.startswith('features.') for k in state):
        state = {k[len('features.'):]: v for k, v in state.items()
                 if k.startswith('features.')}
    state = {k: v for k, v in state.items() if int(k.split('.')[0]) < num_layers}
    missing, unexpected = features.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f'{pretrained} does not hold {vgg_type} features: missing '
                           f'{missing}, unexpected {unexpected}')
    return features


class OfflinePerceptualVGG(PerceptualVGG):
    """:class:`PerceptualVGG` whose layers come from a local weights file.

    Args:
        layer_name_list (list[str]): Names of the ``vgg.features`` layers whose
            outputs are returned, e.g. ['2', '7'].
        pretrained (str): Local VGG weights file (see :func:`load_vgg_features`).
        vgg_type (str): Type of the VGG network. Default: 'vgg19'.
        use_input_norm (bool): Normalise [0, 1] inputs with the ImageNet mean and
            std. Default: True.
    """

    def __init__(self, layer_name_list, pretrained, vgg_type='vgg19',
                 use_input_norm=True):
        nn.Module.__init__(self)  # PerceptualVGG.__init__ would download weights
        self.layer_name_list = layer_name_list
        self.use_input_norm = use_input_norm
        num_layers = max(map(int, layer_name_list)) + 1
        self.vgg_layers = load_vgg_features(vgg_type, pretrained, num_layers)
        if use_input_norm:
            self.register_buffer(
                'mean', torch.Tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
            self.register_buffer(
                'std', torch.Tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.vgg_layers.requires_grad_(False)


@MODELS.register_module()
class OfflinePerceptualLoss(PerceptualLoss):
    """MMagic's :class:`PerceptualLoss` with the VGG read from a local file.

    Upstream ``PerceptualLoss`` builds ``vgg19(pretrained=True)``, which downloads
    the weights; this subclass has the same arguments and forward, but ``pretrained``
    is a local file, checked when the loss is built (at start-up).

    Args:
        layer_weights (dict): Weight of each ``vgg.features`` layer, e.g.
            ``{'2': 0.1, '7': 0.1, '16': 1., '25': 1., '34': 1.}``.
        pretrained (str): Local VGG weights file, e.g. torchvision's
            ``vgg19-dcbb9e9d.pth``.
        layer_weights_style (dict, optional): Layer weights of the style loss.
            Default: None (same as ``layer_weights``).
        vgg_type (str): Type of the VGG network. Default: 'vgg19'.
        use_input_norm (bool): Normalise inputs with ImageNet statistics.
            Default: True.
        perceptual_weight (float): Weight of the perceptual loss. Default: 1.0.
        style_weight (float): Weight of the style loss. Default: 1.0.
        norm_img (bool): Map inputs from [-1, 1] to [0, 1]. Default: True.
        criterion (str): 'l1' or 'mse'. Default: 'l1'.
    """

    def __init__(self,
                 layer_weights,
                 pretrained,
                 layer_weights_style=None,
                 vgg_type='vgg19',
                 use_input_norm=True,
                 perceptual_weight=1.0,
                 style_weight=1.0,
                 norm_img=True,
                 criterion='l1'):
        nn.Module.__init__(self)  # PerceptualLoss.__init__ would download weights
        self.norm_img = norm_img
        self.perceptual_weight = perceptual_weight
        self.style_weight = style_weight
        self.layer_weights = layer_weights
        self.layer_weights_style = layer_weights_style
        self.vgg = OfflinePerceptualVGG(
            list(layer_weights.keys()), pretrained, vgg_type, use_input_norm)
        if layer_weights_style is not None and layer_weights_style != layer_weights:
            self.vgg_style = OfflinePerceptualVGG(
                list(layer_weights_style.keys()), pretrained, vgg_type,
                use_input_norm)
        else:
            self.layer_weights_style = layer_weights
            self.vgg_style = None
        criteria = dict(l1=nn.L1Loss, mse=nn.MSELoss)
        if criterion.lower() not in criteria:
            raise NotImplementedError(f'{criterion} criterion is not supported')
        self.criterion = criteria[criterion.lower()]()
