from .offline_perceptual_loss import (OfflinePerceptualLoss, OfflinePerceptualVGG,
                                      load_vgg_features)

__all__ = ['OfflinePerceptualLoss', 'OfflinePerceptualVGG', 'load_vgg_features']
