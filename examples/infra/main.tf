# shopfront infrastructure (demo). Nothing here is real: the cluster context is a placeholder
# and credentials come from the operator's kubeconfig, never from this file.

terraform {
  required_version = ">= 1.5"
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.30"
    }
  }
}

variable "environment" {
  description = "staging or production"
  type        = string
  default     = "staging"
}

provider "kubernetes" {
  config_path    = "~/.kube/config"
  config_context = "demo-${var.environment}"
}

resource "kubernetes_namespace" "shopfront" {
  metadata {
    name = var.environment
    labels = {
      app        = "shopfront"
      managed-by = "terraform"
    }
  }
}

output "namespace" {
  value = kubernetes_namespace.shopfront.metadata[0].name
}
