// SPDX-License-Identifier: GPL-2.0
/*
 * uio_pci_msi: uio_pci_generic's counterpart for MSI, for the test bed's
 * small guest (L2) that runs under a VMM inside the emulated server, and
 * nowhere else. L2 has no IOMMU and Debian's kernel has no VFIO no-IOMMU
 * mode, so no in-tree driver gives a device's MSI to userspace there. This
 * one takes a PCI function through driver_override only, enables one MSI
 * vector and counts each MSI as a UIO event (read from /dev/uioN). It
 * touches no device register, so the program acknowledges the device's
 * interrupt itself, and it claims no BAR, so the program maps BAR0 through
 * sysfs.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uio_driver.h>

struct uio_pci_msi {
	struct uio_info info;
	struct pci_dev *pdev;
};

/* An MSI is edge-triggered and never shared: each one is an event. */
static irqreturn_t uio_pci_msi_handler(int irq, struct uio_info *info)
{
	return IRQ_HANDLED;
}

/* As uio_pci_generic: no DMA once the last user is gone. */
static int uio_pci_msi_release(struct uio_info *info, struct inode *inode)
{
	struct uio_pci_msi *umsi = container_of(info, struct uio_pci_msi, info);

	pci_clear_master(umsi->pdev);
	return 0;
}

static int uio_pci_msi_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct uio_pci_msi *umsi;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	/*
	 * MSI or nothing: a fallback to INTx would hide what the program
	 * checks. On a managed device the vector is freed by devres, after
	 * the UIO device (registered later) has freed its interrupt.
	 */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		return ret;
	umsi = devm_kzalloc(&pdev->dev, sizeof(*umsi), GFP_KERNEL);
	if (!umsi)
		return -ENOMEM;
	umsi->pdev = pdev;
	umsi->info.name = "uio_pci_msi";
	umsi->info.version = "1";
	umsi->info.irq = pci_irq_vector(pdev, 0);
	umsi->info.handler = uio_pci_msi_handler;
	umsi->info.release = uio_pci_msi_release;
	return devm_uio_register_device(&pdev->dev, &umsi->info);
}

/* No ID table: only a device whose driver_override names us binds. */
static struct pci_driver uio_pci_msi_driver = {
	.name = "uio_pci_msi",
	.probe = uio_pci_msi_probe,
};
module_pci_driver(uio_pci_msi_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("UIO with one MSI vector, for the smmu-assign test bed's nested guest");
